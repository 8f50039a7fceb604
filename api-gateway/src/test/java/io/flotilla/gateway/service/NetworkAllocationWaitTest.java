package io.flotilla.gateway.service;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.IPAMConfig;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Network;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.gateway.store.InMemoryStore;
import io.flotilla.gateway.store.StoreClient;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docker network create's wait for network-svc: its refusal answered (and the network removed), its allocation
 * awaited, no answer at all tolerated; network-svc stood in for by a thread that writes the store a moment later.
 */
class NetworkAllocationWaitTest {
    private static final String NO_POOL = "could not find an available, non-overlapping IPv4 address pool among the"
            + " defaults to assign to the network";

    private final InMemoryStore store = new InMemoryStore();

    private static Network overlay(String name) {
        return Network.newBuilder().setName(name).setDriver("overlay").build();
    }

    private static Network allocated(Network n) {
        return n.toBuilder().setVni(4097).clearIpam().addIpam(IPAMConfig.newBuilder().setSubnet("10.0.0.0/24")
                .setGateway("10.0.0.1")).setAllocationError("").build();
    }

    /** network-svc's stand-in: once the network is stored, after a moment, writes what {@code allocation} makes of it. */
    private Thread allocator(String name, UnaryOperator<Network> allocation) {
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    var stored = store.list(Kind.KIND_NETWORK, Map.of("name", name));
                    if (!stored.isEmpty()) {
                        Thread.sleep(100);
                        store.put(Kind.KIND_NETWORK, StoredObject.newBuilder()
                                .setNetwork(allocation.apply(stored.get(0).getNetwork())).build());
                        return;
                    }
                    Thread.sleep(5);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void aRefusalIsTheAnswerAndTheNetworkIsRemoved() throws Exception {
        Thread t = allocator("full", n -> n.toBuilder().setAllocationError(NO_POOL).build());
        NetworkCommands commands = new NetworkCommands(store, 30_000);
        ApiException e = assertThrows(ApiException.class, () -> commands.create(overlay("full")));
        t.join();
        assertEquals(403, e.status());
        assertEquals(NO_POOL, e.dockerMessage());
        assertEquals(0, store.count(Kind.KIND_NETWORK), "nothing created");
    }

    @Test
    void anAllocationIsAwaited() throws Exception {
        Thread t = allocator("fine", NetworkAllocationWaitTest::allocated);
        String id = new NetworkCommands(store, 30_000).create(overlay("fine"));
        t.join();
        Network n = store.get(Kind.KIND_NETWORK, id).orElseThrow().getNetwork();
        assertEquals(4097, n.getVni());
    }

    @Test
    void withoutAnAnswerInTimeTheNetworkIsCreatedUnallocated() {
        String id = new NetworkCommands(store, 50).create(overlay("later"));
        Network n = store.get(Kind.KIND_NETWORK, id).orElseThrow().getNetwork();
        assertEquals(0, n.getVni());
        assertEquals("", n.getAllocationError());
    }

    @Test
    void anAllocationThatLandsBeforeTheRemovalStands() {
        AtomicBoolean raced = new AtomicBoolean();
        store.afterApply(s -> s.list(Kind.KIND_NETWORK).stream().map(StoredObject::getNetwork)
                .filter(n -> n.getVni() == 0 && n.getAllocationError().isEmpty())
                .forEach(n -> s.put(Kind.KIND_NETWORK, StoredObject.newBuilder()
                        .setNetwork(n.toBuilder().setAllocationError(NO_POOL)).build())));
        StoreClient racing = new StoreClient() {
            @Override
            public ApplyResponse apply(ApplyRequest request) {
                var c = request.getChanges(0);
                if (c.getOp() == Op.OP_DELETE && raced.compareAndSet(false, true)) {
                    // network-svc retried (a subnet was released) between the gateway's read and its removal
                    Network n = store.get(Kind.KIND_NETWORK, c.getId()).orElseThrow().getNetwork();
                    store.put(Kind.KIND_NETWORK, StoredObject.newBuilder().setNetwork(allocated(n)).build());
                }
                return store.apply(request);
            }

            @Override
            public Optional<StoredObject> get(Kind kind, String id) {
                return store.get(kind, id);
            }

            @Override
            public List<StoredObject> list(Kind kind, Map<String, String> filters) {
                return store.list(kind, filters);
            }
        };
        String id = new NetworkCommands(racing, 30_000).create(overlay("raced"));
        assertTrue(raced.get());
        assertEquals(4097, store.get(Kind.KIND_NETWORK, id).orElseThrow().getNetwork().getVni());
    }
}
