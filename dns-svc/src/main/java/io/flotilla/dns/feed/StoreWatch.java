package io.flotilla.dns.feed;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.WatchRequest;
import io.flotilla.contracts.v1.WatchResponse;
import org.jboss.logging.Logger;

import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;

/** The fallback when Kafka cannot be reached: Store.Watch(from_index) in the calling thread until it ends. */
final class StoreWatch {
    private static final Logger LOG = Logger.getLogger(StoreWatch.class);

    private final StoreGrpc.StoreBlockingStub store;
    private volatile boolean connected;

    StoreWatch(StoreGrpc.StoreBlockingStub store) {
        this.store = store;
    }

    boolean connected() {
        return connected;
    }

    void follow(long fromIndex, Consumer<StateEvent> sink) {
        WatchRequest request = WatchRequest.newBuilder()
                .addAllKinds(List.of(Kind.KIND_NETWORK, Kind.KIND_SERVICE, Kind.KIND_TASK))
                .setFromIndex(fromIndex).build();
        try {
            Iterator<WatchResponse> it = store.watch(request);
            connected = true;
            LOG.infof("following the store's Watch from index %d", fromIndex);
            while (it.hasNext()) {
                for (StateEvent e : it.next().getEventsList()) {
                    if (e.getIndex() > fromIndex) {
                        sink.accept(e);
                    }
                }
            }
        } finally {
            connected = false;
        }
    }
}
