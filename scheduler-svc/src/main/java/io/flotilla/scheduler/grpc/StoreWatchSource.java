package io.flotilla.scheduler.grpc;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.WatchRequest;
import io.flotilla.scheduler.loop.ControlLoop;
import io.flotilla.scheduler.state.EncodedEvent;
import io.grpc.stub.ClientCalls;
import org.jboss.logging.Logger;

import java.util.Iterator;
import java.util.List;

/**
 * The loop's event source (and Kafka's fallback when the scheduler follows Kafka): Store.Watch(from_index)
 * over gRPC, in the calling thread, until the stream ends or fails.
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
            // the answers' objects stay encoded until the loop needs them (EncodedWatch)
            Iterator<EncodedWatch.Batch> it = ClientCalls.blockingServerStreamingCall(store.getChannel(), EncodedWatch.METHOD,
                    store.getCallOptions(), request);
            connected = true;
            LOG.infof("following the store's Watch from index %d", fromIndex);
            while (it.hasNext()) {
                EncodedWatch.Batch r = it.next();
                for (EncodedEvent e : r.events()) {
                    if (e.index() > fromIndex || e.snapshot()) {
                        loop.submit(e);
                    }
                }
                last = Math.max(last, r.index());
            }
        } finally {
            connected = false;
        }
        return last;
    }
}
