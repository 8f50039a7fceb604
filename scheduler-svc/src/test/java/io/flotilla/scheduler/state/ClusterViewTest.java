package io.flotilla.scheduler.state;

import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ClusterViewTest {
    @Test
    void listedObjectsKeepTheirStoreVersionSoThatUpdatesAfterARestartAreAccepted() {
        ClusterView view = new ClusterView();
        view.upsert(StoredObject.newBuilder().setTask(Task.newBuilder().setServiceId("s")
                .setMeta(Meta.newBuilder().setId("t").setVersion(7))).build(), 0);
        view.upsert(StoredObject.newBuilder().setService(Service.newBuilder()
                .setMeta(Meta.newBuilder().setId("s").setVersion(5))).build(), 0);
        assertEquals(7, view.task("t").getMeta().getVersion());
        assertEquals(5, view.service("s").getMeta().getVersion());
        // an own write records the version the store returned
        view.upsert(StoredObject.newBuilder().setTask(view.task("t")).build(), 9);
        assertEquals(9, view.task("t").getMeta().getVersion());
    }
}
