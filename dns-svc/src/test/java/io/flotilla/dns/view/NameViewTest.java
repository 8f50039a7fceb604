package io.flotilla.dns.view;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.ServiceSpec;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class NameViewTest {

    private static StateEvent service(long index, String id, Op op, String name) {
        return StateEvent.newBuilder().setIndex(index).setKind(Kind.KIND_SERVICE).setId(id).setOp(op)
                .setObject(StoredObject.newBuilder().setService(
                        Service.newBuilder().setSpec(ServiceSpec.newBuilder().setName(name))))
                .build();
    }

    @Test
    void serviceNamesFollowCreateRenameAndDelete() {
        NameView view = new NameView();
        view.apply(service(1, "s1", Op.OP_CREATE, "nodejs"), 0);
        assertEquals(Optional.of("s1"), view.serviceId("nodejs"));
        view.apply(service(2, "s1", Op.OP_UPDATE, "web"), 0);
        assertEquals(Optional.empty(), view.serviceId("nodejs"));
        assertEquals(Optional.of("s1"), view.serviceId("web"));
        view.apply(service(3, "s1", Op.OP_DELETE, "web"), 0);
        assertEquals(Optional.empty(), view.serviceId("web"));
        assertEquals(0, view.services());
    }

    @Test
    void aRedeliveredCreateDoesNotResurrectADeletedService() {
        NameView view = new NameView();
        view.apply(service(1, "s1", Op.OP_CREATE, "nodejs"), 0);
        view.apply(service(2, "s1", Op.OP_DELETE, "nodejs"), 0);
        assertFalse(view.apply(service(1, "s1", Op.OP_CREATE, "nodejs"), 0));
        assertEquals(Optional.empty(), view.serviceId("nodejs"));
    }
}
