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
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.function.LongSupplier;

/**
 * Swarm networks: create (validated, then given a moment for network-svc to allocate its VNI, subnet and
 * gateway: a network it cannot allocate is removed and the create refused with its reason), find, list,
 * remove (refused while a service or a live task uses it, with swarmkit's words).
 */
@ApplicationScoped
public class NetworkCommands {
    private static final Logger LOG = Logger.getLogger(NetworkCommands.class);
    private static final long POLL_MS = 20;

    private final StoreClient store;
    private final long allocationWaitMs;
    LongSupplier clock = System::currentTimeMillis;

    /**
     * @param allocationWaitMs how long a create waits for network-svc's allocation (or its refusal) before it
     *                         answers anyway; 0 looks once
     */
    @Inject
    public NetworkCommands(StoreClient store,
                           @ConfigProperty(name = "flotilla.networks.allocation-wait-ms", defaultValue = "5000")
                           long allocationWaitMs) {
        this.store = store;
        this.allocationWaitMs = allocationWaitMs;
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
        String id = Outcomes.require(response, "network " + name).getId();
        awaitAllocation(id, name);
        return id;
    }

    /**
     * Waits until network-svc has allocated the new network, or recorded why it cannot (no subnet left in the
     * default pool, no VXLAN id left, an overlap with a network created at the same moment). A refusal removes
     * the network (compare-and-set on the version that carries the error: if network-svc allocated it
     * meanwhile, that stands) and answers 403 with network-svc's message, as libnetwork's pool errors read. No
     * answer in time: the network stays, created, and its services' tasks say why they wait.
     */
    private void awaitAllocation(String id, String name) {
        long deadline = clock.getAsLong() + allocationWaitMs;
        while (true) {
            var stored = store.get(Kind.KIND_NETWORK, id);
            if (stored.isEmpty() || !stored.get().hasNetwork()) {
                return; // removed meanwhile by someone else
            }
            Network n = stored.get().getNetwork();
            if (!n.getAllocationError().isEmpty()) {
                var removed = store.apply(ApplyRequest.newBuilder().addChanges(Change.newBuilder().setOp(Op.OP_DELETE)
                        .setKind(Kind.KIND_NETWORK).setId(id).setExpectedVersion(n.getMeta().getVersion())).build());
                ChangeResult result = removed.getOutcomesCount() > 0 ? removed.getOutcomes(0).getResult()
                        : ChangeResult.RESULT_OK;
                if (result == ChangeResult.RESULT_CONFLICT) {
                    continue; // changed since read (allocated on a retry?): look again
                }
                if (result != ChangeResult.RESULT_NOT_FOUND) {
                    Outcomes.require(removed, "network " + name);
                }
                LOG.infof("network %s (%s) refused: %s", name, id, n.getAllocationError());
                throw new ApiException(403, null, n.getAllocationError());
            }
            if (n.getVni() > 0 && n.getIpamCount() > 0 && !n.getIpam(0).getSubnet().isEmpty()) {
                return;
            }
            if (clock.getAsLong() >= deadline) {
                if (allocationWaitMs > 0) {
                    LOG.warnf("network %s (%s) not allocated after %d ms: created without its VXLAN id and subnet yet",
                            name, id, allocationWaitMs);
                }
                return;
            }
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
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
        return Lookup.find("network", store, Kind.KIND_NETWORK, ref, o -> o.hasNetwork() ? o.getNetwork() : null,
                this::list, n -> n.getMeta().getId(), Network::getName);
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
