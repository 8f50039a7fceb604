package io.flotilla.scheduler.grpc;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.WatchRequest;
import io.flotilla.contracts.v1.WatchResponse;
import io.flotilla.scheduler.loop.ControlLoop;
import org.jboss.logging.Logger;

import java.util.Iterator;
import java.util.List;

/**
 * The fallback event source when Kafka cannot be reached: Store.Watch(from_index) over gRPC, in the
 * calling thread, until the stream ends or fails.
 */
public final class StoreWatchSource {
    private static final Logger LOG = Logger.getLogger(StoreWatchSource.class);

    private final StoreGrpc.StoreBlockingStub store;
    private volatile boolean connected;

    public StoreWatchSource(StoreGrpc.StoreBlockingStub store) {
        this.store = store;
    }

    public boolean connected() {
        return connected;
    }

    /** Follows the store from the index; returns the last index seen when the stream ends. */
    public long follow(ControlLoop loop, long fromIndex) {
        long last = fromIndex;
        WatchRequest request = WatchRequest.newBuilder()
                .addAllKinds(List.of(Kind.KIND_NODE, Kind.KIND_SERVICE, Kind.KIND_TASK, Kind.KIND_CLUSTER))
                .setFromIndex(fromIndex).build();
        try {
            Iterator<WatchResponse> it = store.watch(request);
            connected = true;
            LOG.infof("following the store's Watch from index %d", fromIndex);
            while (it.hasNext()) {
                WatchResponse r = it.next();
                for (StateEvent e : r.getEventsList()) {
                    if (e.getIndex() > fromIndex || e.getSnapshot()) {
                        loop.submit(e);
                    }
                }
                last = Math.max(last, r.getIndex());
            }
        } finally {
            connected = false;
        }
        return last;
    }
}
