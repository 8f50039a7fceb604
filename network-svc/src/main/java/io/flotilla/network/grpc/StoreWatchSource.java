package io.flotilla.network.grpc;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.WatchRequest;
import io.flotilla.contracts.v1.WatchResponse;
import io.flotilla.network.loop.AllocatorLoop;
import org.jboss.logging.Logger;

import java.util.Iterator;

/** The fallback event source when Kafka cannot be reached: Store.Watch(from_index), in the calling thread. */
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

    public void follow(AllocatorLoop loop, long fromIndex) {
        WatchRequest request = WatchRequest.newBuilder().addKinds(Kind.KIND_CLUSTER).addKinds(Kind.KIND_NODE)
                .addKinds(Kind.KIND_NETWORK).addKinds(Kind.KIND_SERVICE).addKinds(Kind.KIND_TASK)
                .setFromIndex(fromIndex).build();
        try {
            Iterator<WatchResponse> it = store.watch(request);
            connected = true;
            LOG.infof("following the store's Watch from index %d", fromIndex);
            while (it.hasNext()) {
                for (StateEvent e : it.next().getEventsList()) {
                    if (e.getIndex() > fromIndex || e.getSnapshot()) {
                        loop.submit(e);
                    }
                }
            }
        } finally {
            connected = false;
        }
    }
}
