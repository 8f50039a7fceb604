package io.flotilla.gateway.store;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.GetRequest;
import io.flotilla.contracts.v1.GetResponse;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ListRequest;
import io.flotilla.contracts.v1.MembersRequest;
import io.flotilla.contracts.v1.MembersResponse;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.WatchRequest;
import io.flotilla.contracts.v1.WatchResponse;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.quarkus.grpc.GrpcClient;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link StoreClient} over cluster-state's gRPC Store (client config quarkus.grpc.clients.store.*). Writes go to the
 * store; reads are answered from a copy of this manager's store kept by its Watch ({@link StoreView}) once the
 * copy is live and has every change up to this gateway's last write (read your writes), else from the store.
 */
@ApplicationScoped
public class GrpcStoreClient implements StoreClient {
    private static final Logger LOG = Logger.getLogger(GrpcStoreClient.class);
    private static final long RETRY_MIN_MS = 250;
    private static final long RETRY_MAX_MS = 5000;
    private static final int MAX_WATCH_MESSAGE = 32 << 20;

    @GrpcClient("store")
    StoreGrpc.StoreBlockingStub stub;

    /** The same client's channel, for the watch (Quarkus injects no async stub). */
    @GrpcClient("store")
    Channel channel;

    @ConfigProperty(name = "flotilla.store.deadline-ms", defaultValue = "5000")
    long deadlineMs;

    /** Reads from the watched copy (false: every read is a call to the store). */
    @ConfigProperty(name = "flotilla.gateway.store-view", defaultValue = "true")
    boolean viewEnabled;

    /** How long a read waits for the copy to reach the gateway's last write before it asks the store instead. */
    @ConfigProperty(name = "flotilla.gateway.store-view.wait-ms", defaultValue = "500")
    long viewWaitMs;

    private final StoreView view = new StoreView();
    /**
     * The highest store index of a write made through this gateway. A write is answered once this manager's store
     * has applied it, so its watch reaches that index. The indexes are one swarm's: the gateway is stopped with
     * its manager's services when the node leaves, and a new swarm gets a new gateway.
     */
    private final AtomicLong written = new AtomicLong();
    private final Object watchLock = new Object();
    private ScheduledExecutorService retries; // guarded by watchLock; made at the first read
    private ClientCallStreamObserver<WatchRequest> call; // guarded by watchLock
    private long retryMs = RETRY_MIN_MS; // guarded by watchLock
    private volatile boolean closed;
    /** Set once the first read has opened the watch (later ones take no lock to know it). */
    private volatile boolean watching;

    private StoreGrpc.StoreBlockingStub call() {
        return stub.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public ApplyResponse apply(ApplyRequest request) {
        try {
            ApplyResponse response = call().apply(request);
            written.accumulateAndGet(response.getIndex(), Math::max);
            return response;
        } catch (StatusRuntimeException e) {
            throw unavailable(e);
        }
    }

    @Override
    public Optional<StoredObject> get(Kind kind, String id) {
        if (fromView()) {
            return view.get(kind, id);
        }
        try {
            GetResponse response = call().get(GetRequest.newBuilder().setKind(kind).setId(id).build());
            return response.hasObject() && response.getObject().getObjectCase() != StoredObject.ObjectCase.OBJECT_NOT_SET
                    ? Optional.of(response.getObject()) : Optional.empty();
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND || e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT) {
                return Optional.empty();
            }
            throw unavailable(e);
        }
    }

    @Override
    public List<StoredObject> list(Kind kind, Map<String, String> filters) {
        if (fromView()) {
            try {
                return view.list(kind, filters);
            } catch (IllegalArgumentException e) {
                // a filter the store refuses: its own answer (and error) below
            }
        }
        try {
            return call().list(ListRequest.newBuilder().setKind(kind).putAllFilters(filters).build()).getObjectsList();
        } catch (StatusRuntimeException e) {
            throw unavailable(e);
        }
    }

    @Override
    public MembersResponse members() {
        try {
            return call().members(MembersRequest.getDefaultInstance());
        } catch (StatusRuntimeException e) {
            throw unavailable(e);
        }
    }

    /** Whether this read can come from the watched copy; the first read opens the watch. */
    private boolean fromView() {
        if (!viewEnabled) {
            return false;
        }
        if (!watching) {
            synchronized (watchLock) {
                if (retries == null && !closed) {
                    retries = Executors.newSingleThreadScheduledExecutor(r -> {
                        Thread t = new Thread(r, "store-view");
                        t.setDaemon(true);
                        return t;
                    });
                    watch();
                }
                watching = true;
            }
        }
        long wanted = written.get();
        if (view.readableAt(wanted, 0)) {
            return true;
        }
        long t0 = System.nanoTime();
        boolean readable = view.readableAt(wanted, viewWaitMs);
        long waitedMs = (System.nanoTime() - t0) / 1_000_000;
        if (!readable && waitedMs > 0) {
            // the watch is live but did not bring this gateway's last write in time: worth knowing
            LOG.infof("store view at index %d after %d ms, this gateway wrote %d: read from the store", view.index(),
                    waitedMs, wanted);
        } else if (waitedMs >= 20) {
            LOG.debugf("store view reached index %d after %d ms", wanted, waitedMs);
        }
        return readable;
    }

    /** Opens a watch of every kind from index 0; when it ends, another after a growing pause. */
    private void watch() {
        synchronized (watchLock) {
            if (closed) {
                return;
            }
            view.restart();
            // a message is a snapshot chunk (500 objects) or one batch's changes: above gRPC's 4 MB default for
            // a large batch, which would end the watch again and again
            StoreGrpc.StoreStub async = StoreGrpc.newStub(channel).withMaxInboundMessageSize(MAX_WATCH_MESSAGE);
            async.watch(WatchRequest.getDefaultInstance(), new ClientResponseObserver<WatchRequest, WatchResponse>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<WatchRequest> requests) {
                    synchronized (watchLock) {
                        call = requests;
                    }
                }

                @Override
                public void onNext(WatchResponse r) {
                    view.accept(r);
                    if (r.getSnapshotComplete()) {
                        synchronized (watchLock) {
                            retryMs = RETRY_MIN_MS;
                        }
                        LOG.debugf("store view live at index %d", r.getIndex());
                    }
                }

                @Override
                public void onError(Throwable t) {
                    LOG.debugf("store view: watch ended (%s)", Status.fromThrowable(t));
                    again();
                }

                @Override
                public void onCompleted() {
                    again();
                }
            });
        }
    }

    private void again() {
        view.ended();
        synchronized (watchLock) {
            call = null;
            if (closed) {
                return;
            }
            long delay = retryMs;
            retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
            retries.schedule(this::watch, delay, TimeUnit.MILLISECONDS);
        }
    }

    @PreDestroy
    void close() {
        ClientCallStreamObserver<WatchRequest> open;
        synchronized (watchLock) {
            closed = true;
            open = call;
            if (retries != null) {
                retries.shutdownNow();
            }
        }
        if (open != null) {
            open.cancel("gateway stopping", null);
        }
        view.ended();
    }

    private static StoreUnavailableException unavailable(StatusRuntimeException e) {
        Status s = e.getStatus();
        return new StoreUnavailableException("cluster store: " + s.getCode()
                + (s.getDescription() == null ? "" : ": " + s.getDescription()), e);
    }
}
