package io.flotilla.gateway.service;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.IPAMConfig;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Network;
import io.flotilla.contracts.v1.NetworkAttachmentConfig;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.gateway.store.StoreClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.List;
import java.util.function.LongSupplier;

/**
 * Swarm networks: create (validated; network-svc allocates VNI, subnet and gateway after), find, list,
 * remove (refused while a service or a live task uses it, with swarmkit's words).
 */
@ApplicationScoped
public class NetworkCommands {
    private final StoreClient store;
    LongSupplier clock = System::currentTimeMillis;

    @Inject
    public NetworkCommands(StoreClient store) {
        this.store = store;
    }

    public String create(Network requested) {
        if (requested.getIngress()) {
            throw new ApiException(403, null, "only the ingress network created at swarm init may be an ingress network");
        }
        String name = requested.getName();
        if (!store.list(Kind.KIND_NETWORK, java.util.Map.of("name", name)).isEmpty()) {
            throw nameConflict(name);
        }
        if (requested.getIpamCount() > 0) {
            IPAMConfig c = requested.getIpam(0);
            long[] subnet = cidr(c.getSubnet());
            if (!c.getGateway().isEmpty()) {
                long gw = ip(c.getGateway());
                if ((gw & subnet[1]) != subnet[0]) {
                    throw ApiException.invalidArgument("gateway " + c.getGateway() + " is not in subnet " + c.getSubnet());
                }
            }
            for (Network n : list()) {
                for (IPAMConfig other : n.getIpamList()) {
                    if (!other.getSubnet().isEmpty() && overlaps(subnet, cidr(other.getSubnet()))) {
                        throw new ApiException(403, null, "invalid pool request: Pool overlaps with other one on this"
                                + " address space");
                    }
                }
            }
        }
        long now = clock.getAsLong();
        Network n = requested.toBuilder().setMeta(Meta.newBuilder().setCreatedAtMs(now).setUpdatedAtMs(now)).build();
        var response = store.apply(ApplyRequest.newBuilder().addChanges(Change.newBuilder().setOp(Op.OP_CREATE)
                .setKind(Kind.KIND_NETWORK).setObject(StoredObject.newBuilder().setNetwork(n))).build());
        if (response.getOutcomesCount() > 0 && response.getOutcomes(0).getResult() == ChangeResult.RESULT_NAME_CONFLICT) {
            throw nameConflict(name);
        }
        return Outcomes.require(response, "network " + name).getId();
    }

    /** Docker's daemon: 409 "network with name X already exists". */
    static ApiException nameConflict(String name) {
        return new ApiException(409, null, "network with name " + name + " already exists");
    }

    public List<Network> list() {
        return store.list(Kind.KIND_NETWORK).stream().map(StoredObject::getNetwork).toList();
    }

    /** By full id, exact name or unique id prefix; 404 "network X not found". */
    public Network find(String ref) {
        if (ref != null && !ref.isEmpty()) {
            var direct = store.get(Kind.KIND_NETWORK, ref);
            if (direct.isPresent() && direct.get().hasNetwork()) {
                return direct.get().getNetwork();
            }
        }
        return Lookup.resolve("network", ref, list(), n -> n.getMeta().getId(), Network::getName);
    }

    public void remove(String ref) {
        Network n = find(ref);
        String id = n.getMeta().getId();
        if (n.getIngress()) {
            // Docker asks for confirmation client-side; the ingress network is needed by the routing mesh
            for (StoredObject o : store.list(Kind.KIND_SERVICE)) {
                Service s = o.getService();
                for (var p : s.getEndpoint().getPortsList()) {
                    if (p.getPublishMode() == io.flotilla.contracts.v1.PublishMode.PUBLISH_INGRESS) {
                        throw ApiException.failedPrecondition("ingress network cannot be removed because service "
                                + s.getMeta().getId() + " depends on it");
                    }
                }
            }
        }
        for (StoredObject o : store.list(Kind.KIND_SERVICE)) {
            Service s = o.getService();
            for (NetworkAttachmentConfig a : s.getSpec().getTask().getNetworksList()) {
                if (a.getTarget().equals(id) || a.getTarget().equals(n.getName())) {
                    throw ApiException.failedPrecondition("network " + id + " is in use by service " + s.getMeta().getId());
                }
            }
        }
        for (StoredObject o : store.list(Kind.KIND_TASK)) {
            Task t = o.getTask();
            boolean live = t.getStatus().getState().getNumber() < TaskState.TASK_COMPLETE.getNumber()
                    && t.getDesiredState().getNumber() <= TaskState.TASK_RUNNING.getNumber();
            if (live && t.getNetworksList().stream().anyMatch(a -> a.getNetworkId().equals(id))) {
                throw ApiException.failedPrecondition("network " + id + " is in use by task " + t.getMeta().getId());
            }
        }
        Outcomes.require(store.apply(ApplyRequest.newBuilder().addChanges(Change.newBuilder().setOp(Op.OP_DELETE)
                .setKind(Kind.KIND_NETWORK).setId(id).setExpectedVersion(n.getMeta().getVersion())).build()),
                "network " + ref);
    }

    // ------------------------------------------------------------------ IPv4 arithmetic for validation

    private static long ip(String text) {
        String[] p = text.split("\\.", -1);
        if (p.length != 4) {
            throw ApiException.invalidArgument("invalid IPv4 address: " + text);
        }
        long v = 0;
        for (String b : p) {
            int x;
            try {
                x = Integer.parseInt(b);
            } catch (NumberFormatException e) {
                throw ApiException.invalidArgument("invalid IPv4 address: " + text);
            }
            if (x < 0 || x > 255) {
                throw ApiException.invalidArgument("invalid IPv4 address: " + text);
            }
            v = v << 8 | x;
        }
        return v;
    }

    /** {base, mask}; refuses host bits as Docker does. */
    private static long[] cidr(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw ApiException.invalidArgument("invalid CIDR address: " + text);
        }
        int prefix;
        try {
            prefix = Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw ApiException.invalidArgument("invalid CIDR address: " + text);
        }
        if (prefix < 8 || prefix > 30) {
            throw ApiException.invalidArgument("invalid subnet " + text + ": the prefix must be /8 to /30");
        }
        long mask = (0xffffffffL << (32 - prefix)) & 0xffffffffL;
        long base = ip(text.substring(0, slash));
        if ((base & mask) != base) {
            throw ApiException.invalidArgument("invalid subnet " + text + ": it has host bits set");
        }
        return new long[]{base, mask};
    }

    private static boolean overlaps(long[] a, long[] b) {
        long mask = a[1] & b[1];
        return (a[0] & mask) == (b[0] & mask);
    }
}
