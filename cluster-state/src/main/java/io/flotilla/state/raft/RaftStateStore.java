package io.flotilla.state.raft;

import com.google.protobuf.InvalidProtocolBufferException;
import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.WatchResponse;
import io.flotilla.state.store.CommandPreparer;
import io.flotilla.state.store.EventLog;
import io.flotilla.state.store.ListFilters;
import io.flotilla.state.store.StateStore;
import io.flotilla.state.store.StoreException;
import io.flotilla.state.store.StoreStateMachine;
import io.flotilla.state.store.WatchHub;
import io.flotilla.state.store.WatchMessage;
import org.jgroups.protocols.raft.RaftLeaderException;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The store over Raft: a write is prepared (validated, ids and timestamps), proposed, and completes
 * with the committed outcome once this manager has applied it too (read-your-writes on any manager).
 * Reads come from this manager's materialized state; a linearizable read first passes a barrier
 * through the log.
 */
public final class RaftStateStore implements StateStore, AutoCloseable {
    private final CompletableFuture<MaterializedCaches> caches;
    private final StoreStateMachine machine;
    private final RaftNode node;
    private final CommandPreparer preparer;
    private final ExecutorService executor;
    private final WatchHub watches;
    private final ConcurrentSkipListMap<Long, CompletableFuture<Long>> indexWaiters = new ConcurrentSkipListMap<>();
    private final long timeoutMs;
    private final RaftConfig config;
    private final CompletableFuture<Void> started = new CompletableFuture<>();

    public RaftStateStore(RaftConfig config, int historyEvents) {
        this.config = config;
        // the cache manager starts in parallel with the Raft channel; the first apply waits for it
        this.caches = MaterializedCaches.startAsync(config.raftId());
        this.machine = new StoreStateMachine(new EventLog(historyEvents), MaterializedCaches.deferred(caches));
        this.node = new RaftNode(config.forceNewCluster() ? config.alone() : config, machine);
        this.preparer = new CommandPreparer();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "store-watch");
            t.setDaemon(true);
            return t;
        });
        this.watches = new WatchHub(machine, executor);
        this.timeoutMs = config.writeTimeoutMs();
    }

    public void start() throws Exception {
        machine.events().subscribe(new EventLog.Subscriber() {
            @Override
            public void onBatch(EventLog.Batch batch) {
                releaseWaiters(batch.index());
            }

            @Override
            public void onReset(String why) {
                machine.events().subscribe(this); // reset drops subscribers; this one stays
                releaseWaiters(Long.MAX_VALUE);
            }
        });
        try {
            ForceNewCluster.Recovered forced = config.forceNewCluster() ? ForceNewCluster.prepare(config, machine) : null;
            startNode();
            caches.join(); // a cache manager that could not start fails the start (writes fail as unavailable)
            node.addRoleListener(role -> {
                if (role == org.jgroups.protocols.raft.Role.Leader) {
                    executor.execute(this::commitNoOp);
                }
            });
            if (node.isLeader()) {
                executor.execute(this::commitNoOp);
            }
            if (forced != null) {
                settleForcedCluster();
            }
            started.complete(null);
        } catch (Exception | Error e) {
            started.completeExceptionally(e);
            throw e;
        }
    }

    /**
     * Joins the group, retrying: on a loaded host a JOIN can time out on this side while the coordinator
     * has admitted it, and the retry is then refused as a duplicate member (NO_DUPES, SecurityException).
     * A fresh channel after the coordinator has dropped the stale one joins.
     */
    private void startNode() throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                node.start();
                return;
            } catch (Exception e) {
                node.close();
                if (attempt >= 10) {
                    throw e;
                }
                org.jboss.logging.Logger.getLogger(RaftStateStore.class).warnf(
                        "raft member %s could not join (attempt %d), retrying: %s", config.raftId(), attempt, e.getMessage());
                Thread.sleep(Math.min(500L * attempt, 3000));
            }
        }
    }

    /**
     * A new leader commits an entry of its own term at once (Raft's no-op): it commits what earlier leaders
     * left uncommitted, and every follower hears from the leader (an idle group with an empty log would
     * otherwise leave a member that joined after the election without a leader).
     */
    private void commitNoOp() {
        node.propose(RaftCommandMachine.encode(RaftCommandMachine.BARRIER, new byte[0]))
                .orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
                .whenComplete((r, e) -> {
                    if (e != null) {
                        org.jboss.logging.Logger.getLogger(RaftStateStore.class).debugf("leader no-op not committed: %s", e.toString());
                    }
                });
    }

    /**
     * Starts the Raft member on a thread of its own and returns at once: joining the group blocks (JGroups
     * discovery, joins, log replay) and the store is first needed by beans created on a Vert.x event loop.
     * Until the member is up, writes and linearizable reads fail as UNAVAILABLE.
     */
    public CompletableFuture<Void> startAsync() {
        Thread t = new Thread(() -> {
            try {
                start();
            } catch (Throwable e) {
                org.jboss.logging.Logger.getLogger(RaftStateStore.class).errorf(e, "raft member %s failed to start", config.raftId());
            }
        }, "raft-start");
        t.setDaemon(true);
        t.start();
        return started;
    }

    /** Completes once the Raft member has joined (or fails with why it could not). */
    public CompletableFuture<Void> started() {
        return started;
    }

    /** A forced group of one: wait until it leads, then put the recovered state and membership in a snapshot. */
    private void settleForcedCluster() throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!node.isLeader() && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        if (!node.isLeader()) {
            throw new IllegalStateException("force-new-cluster: " + config.raftId() + " did not become leader of its group of one");
        }
        node.propose(RaftCommandMachine.encode(RaftCommandMachine.BARRIER, new byte[0])).get(30, TimeUnit.SECONDS);
        node.snapshot();
        org.jboss.logging.Logger.getLogger(RaftStateStore.class).infof(
                "force-new-cluster: %s leads a group of one at store index %d (snapshot written)", config.raftId(), machine.index());
    }

    @Override
    public java.util.Set<String> raftMembers() {
        return java.util.Set.copyOf(node.members());
    }

    @Override
    public boolean isLeader() {
        return node.isLeader();
    }

    public RaftNode node() {
        return node;
    }

    public StoreStateMachine machine() {
        return machine;
    }

    @Override
    public CompletionStage<ApplyResponse> apply(ApplyRequest request) {
        ApplyRequest prepared;
        try {
            prepared = preparer.prepare(request);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        // the state machine applies this very object when the entry commits here (no second decode)
        RaftCommandMachine.Local local = node.commands().local(prepared);
        return propose(local.entry, local).whenComplete((r, e) -> node.commands().forget(local));
    }

    /**
     * As {@link #apply(ApplyRequest)} for a request that came as these bytes (the gRPC API): the log entry
     * carries them as they are, with the time and ids its preparation took, instead of the prepared command
     * encoded again.
     */
    public CompletionStage<ApplyResponse> apply(ApplyRequest request, byte[] requestBytes) {
        CommandPreparer.Prepared prepared;
        try {
            prepared = preparer.prepareRecorded(request);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        RaftCommandMachine.Local local = node.commands().local(prepared, requestBytes);
        return propose(local.entry, local).whenComplete((r, e) -> node.commands().forget(local));
    }

    @Override
    public CompletionStage<Long> readBarrier() {
        // the read that waits for it (a List of 100,000 tasks, say) runs on the store's executor, not on the Raft
        // thread that applies the log (which completes the proposal)
        return propose(RaftCommandMachine.encode(RaftCommandMachine.BARRIER, new byte[0]), null)
                .thenApplyAsync(ApplyResponse::getIndex, executor);
    }

    /** Proposes a log entry; local: the command it carries, when it is one proposed here (its outcome comes from there). */
    private CompletableFuture<ApplyResponse> propose(byte[] command, RaftCommandMachine.Local local) {
        if (!node.started()) {
            // a write that arrives while this member is still joining waits for it, within the write timeout
            return started.copy().orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
                    .handle((ok, e) -> e == null && node.started())
                    .thenCompose(up -> up ? proposeStarted(command, local)
                            : CompletableFuture.failedFuture(new StoreException(StoreException.Reason.UNAVAILABLE,
                                    "no quorum: this manager's Raft member " + config.raftId() + " is still starting")));
        }
        return proposeStarted(command, local);
    }

    private CompletableFuture<ApplyResponse> proposeStarted(byte[] command, RaftCommandMachine.Local local) {
        long start = System.nanoTime();
        return proposeThroughElection(command, start)
                .handle((bytes, error) -> {
                    if (error != null) {
                        throw mapError(error);
                    }
                    // applied here already (the leader's own proposal): the outcome object, not its bytes
                    ApplyResponse applied = local == null ? null : local.response();
                    if (applied != null) {
                        return applied;
                    }
                    try {
                        return ApplyResponse.parseFrom(bytes);
                    } catch (InvalidProtocolBufferException e) {
                        throw new StoreException(StoreException.Reason.INTERNAL, "undecodable apply response", e);
                    }
                })
                .thenCompose(r -> {
                    long left = timeoutMs - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    return awaitIndex(r.getIndex(), Math.max(left, 100)).thenApply(i -> r);
                });
    }

    /** How long a write waits for a leader while a majority of the members is in view (an election). */
    static final long ELECTION_WAIT_MS = 2000;

    /**
     * Proposes; when there is no leader but a majority of the members is in this member's view (a leader was
     * just killed, demoted or cut off, and the others are electing one: about a second), proposes again every
     * 100 ms for up to {@link #ELECTION_WAIT_MS}. Without a majority in view it fails at once.
     */
    private CompletableFuture<byte[]> proposeThroughElection(byte[] command, long start) {
        return node.propose(command).orTimeout(timeoutMs, TimeUnit.MILLISECONDS).exceptionallyCompose(error -> {
            List<String> members = node.members();
            long inView = node.reachable().stream().filter(members::contains).count();
            if (!noLeader(unwrap(error)) || inView < members.size() / 2 + 1
                    || System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(ELECTION_WAIT_MS)) {
                return CompletableFuture.failedFuture(error);
            }
            return CompletableFuture.supplyAsync(() -> command, CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS))
                    .thenCompose(c -> proposeThroughElection(c, start));
        });
    }

    /** The failure inside the future's wrappers. */
    private static Throwable unwrap(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /** The proposal failed because no leader is known (jgroups-raft says so in its messages, too). */
    private static boolean noLeader(Throwable e) {
        return e instanceof RaftLeaderException
                || !(e instanceof TimeoutException) && String.valueOf(e.getMessage()).contains("leader");
    }

    private StoreException mapError(Throwable error) {
        Throwable e = unwrap(error);
        if (e instanceof StoreException se) {
            return se;
        }
        if (e instanceof TimeoutException) {
            return new StoreException(StoreException.Reason.UNAVAILABLE, "no quorum: the write was not committed within "
                    + timeoutMs + " ms (members " + node.members() + ", reachable " + node.reachable()
                    + "); it may still commit later");
        }
        if (noLeader(e)) {
            return new StoreException(StoreException.Reason.UNAVAILABLE, "no quorum: no Raft leader (members "
                    + node.members() + ", reachable " + node.reachable() + "): " + e.getMessage(), e);
        }
        return new StoreException(StoreException.Reason.UNAVAILABLE, "write failed: " + e, e);
    }

    /** Completes once this manager has applied the given store index. */
    CompletableFuture<Long> awaitIndex(long index, long timeoutMs) {
        if (machine.index() >= index) {
            return CompletableFuture.completedFuture(machine.index());
        }
        CompletableFuture<Long> f = indexWaiters.computeIfAbsent(index, i -> new CompletableFuture<>());
        if (machine.index() >= index) {
            releaseWaiters(machine.index());
        }
        return f.orTimeout(timeoutMs, TimeUnit.MILLISECONDS).exceptionally(t -> {
            throw new StoreException(StoreException.Reason.UNAVAILABLE, "committed at index " + index
                    + " but not yet applied on this manager (at " + machine.index() + ")");
        });
    }

    private void releaseWaiters(long upTo) {
        Iterator<Map.Entry<Long, CompletableFuture<Long>>> it = indexWaiters.headMap(upTo, true).entrySet().iterator();
        while (it.hasNext()) {
            CompletableFuture<Long> f = it.next().getValue();
            it.remove();
            executor.execute(() -> f.complete(upTo));
        }
    }

    @Override
    public Optional<StoredObject> get(Kind kind, String id) {
        return machine.get(kind, id);
    }

    @Override
    public List<StoredObject> list(Kind kind, Map<String, String> filters) {
        return listing(kind, filters).objects();
    }

    @Override
    public Listing listing(Kind kind, Map<String, String> filters) {
        StoreStateMachine.Listing l = machine.list(kind, ListFilters.of(kind, filters));
        return new Listing(l.objects(), l.index());
    }

    @Override
    public long index() {
        return machine.index();
    }

    @Override
    public Watch watch(Set<Kind> kinds, long fromIndex, Consumer<WatchResponse> listener) {
        return watches.open(kinds, fromIndex, listener, t -> { });
    }

    @Override
    public Watch watch(Set<Kind> kinds, long fromIndex, Consumer<WatchResponse> listener, Consumer<Throwable> onError) {
        return watches.open(kinds, fromIndex, listener, onError);
    }

    /** As {@link #watch}, with the messages as shared by every watcher (each encoded once: {@link WatchMessage#bytes}). */
    public Watch watchMessages(Set<Kind> kinds, long fromIndex, Consumer<WatchMessage> listener, Consumer<Throwable> onError) {
        return watches.openMessages(kinds, fromIndex, listener, onError);
    }

    /**
     * Every change after afterIndex from this manager's history (afterIndex 0: from the first index, never a
     * snapshot), then every later one; FAILED_PRECONDITION when the history does not reach back there.
     */
    public Watch watchHistory(Set<Kind> kinds, long afterIndex, Consumer<WatchResponse> listener, Consumer<Throwable> onError) {
        return watches.openHistory(kinds, afterIndex, listener, onError);
    }

    /** A leader is known and this manager has applied everything it knows to be committed. */
    public boolean ready() {
        return node.leaderId() != null && node.lastApplied() >= node.knownCommitIndex();
    }

    @Override
    public void close() {
        node.close();
        executor.shutdownNow();
        caches.whenComplete((c, e) -> {
            if (c != null) {
                c.close();
            }
        });
    }
}
