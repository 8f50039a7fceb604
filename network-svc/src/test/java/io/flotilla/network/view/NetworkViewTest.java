package io.flotilla.network.view;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Network;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NetworkViewTest {

    private static StateEvent event(long index, Kind kind, String id, Op op, StoredObject object) {
        return StateEvent.newBuilder().setIndex(index).setKind(kind).setId(id).setOp(op).setObject(object).build();
    }

    private static StoredObject network(String name) {
        return StoredObject.newBuilder().setNetwork(Network.newBuilder().setName(name)).build();
    }

    @Test
    void followsCreatesAndDeletes() {
        NetworkView view = new NetworkView();
        view.apply(event(1, Kind.KIND_NETWORK, "n1", Op.OP_CREATE, network("ingress")), 0);
        view.apply(event(2, Kind.KIND_TASK, "t1", Op.OP_CREATE,
                StoredObject.newBuilder().setTask(Task.getDefaultInstance()).build()), 0);
        assertEquals(1, view.networks());
        assertEquals(1, view.tasks());
        view.apply(event(3, Kind.KIND_TASK, "t1", Op.OP_DELETE, StoredObject.getDefaultInstance()), 0);
        assertEquals(0, view.tasks());
        assertEquals(3, view.lastIndex());
    }

    @Test
    void dropsRedeliveredEvents() {
        NetworkView view = new NetworkView();
        assertTrue(view.apply(event(5, Kind.KIND_NETWORK, "n1", Op.OP_CREATE, network("a")), 0));
        assertTrue(view.apply(event(5, Kind.KIND_NETWORK, "n2", Op.OP_CREATE, network("b")), 1));
        view.apply(event(6, Kind.KIND_NETWORK, "n1", Op.OP_DELETE, StoredObject.getDefaultInstance()), 0);
        // the same batch again, as after a consumer restart: nothing comes back
        assertFalse(view.apply(event(5, Kind.KIND_NETWORK, "n1", Op.OP_CREATE, network("a")), 0));
        assertFalse(view.apply(event(5, Kind.KIND_NETWORK, "n2", Op.OP_CREATE, network("b")), 1));
        assertEquals(1, view.networks());
    }
}
