package io.flotilla.gateway.store;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeOutcome;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StoredObject;
import io.quarkus.test.Mock;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A store with store.proto's semantics, in memory: ids assigned on create, versions are the store
 * index, compare-and-set on expected_version, names unique per kind (services, clusters, networks),
 * all-or-nothing batches. Replaces the gRPC client in @QuarkusTest (CDI {@link Mock}).
 */
@Mock
@jakarta.enterprise.context.ApplicationScoped
public class InMemoryStore implements StoreClient {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Map<Kind, Map<String, StoredObject>> objects = new ConcurrentHashMap<>();
    private long index;
    /** Runs after each applied request, in it (a test's stand-in for a service that reacts to the change). */
    private volatile Consumer<InMemoryStore> afterApply = s -> { };

    public synchronized void clear() {
        objects.clear();
    }

    /** Sets what runs after each applied request (null: nothing). */
    public void afterApply(Consumer<InMemoryStore> hook) {
        this.afterApply = hook == null ? s -> { } : hook;
    }

    public synchronized int count(Kind kind) {
        return table(kind).size();
    }

    private Map<String, StoredObject> table(Kind kind) {
        return objects.computeIfAbsent(kind, k -> new TreeMap<>());
    }

    @Override
    public synchronized ApplyResponse apply(ApplyRequest request) {
        // all-or-nothing: check every change first
        List<ChangeOutcome> outcomes = new ArrayList<>();
        boolean ok = true;
        for (Change c : request.getChangesList()) {
            ChangeOutcome o = check(c);
            outcomes.add(o);
            ok &= o.getResult() == ChangeResult.RESULT_OK;
        }
        ApplyResponse.Builder r = ApplyResponse.newBuilder();
        if (!ok) {
            for (ChangeOutcome o : outcomes) {
                r.addOutcomes(o.getResult() == ChangeResult.RESULT_OK ? o.toBuilder().setResult(ChangeResult.RESULT_ABORTED).build() : o);
            }
            return r.setIndex(index).build();
        }
        index++;
        for (Change c : request.getChangesList()) {
            r.addOutcomes(commit(c));
        }
        ApplyResponse applied = r.setIndex(index).setApplied(true).build();
        afterApply.accept(this);
        return applied;
    }

    private ChangeOutcome check(Change c) {
        Map<String, StoredObject> t = table(c.getKind());
        ChangeOutcome.Builder o = ChangeOutcome.newBuilder().setId(c.getId());
        if (c.getOp() == Op.OP_CREATE) {
            if (!c.getId().isEmpty() && t.containsKey(c.getId())) {
                return o.setResult(ChangeResult.RESULT_ALREADY_EXISTS).build();
            }
            String name = name(c.getObject());
            if (name != null && !name.isEmpty() && t.values().stream().anyMatch(x -> name.equals(name(x)))) {
                return o.setResult(ChangeResult.RESULT_NAME_CONFLICT).build();
            }
            return o.setResult(ChangeResult.RESULT_OK).build();
        }
        StoredObject current = t.get(c.getId());
        if (current == null) {
            return o.setResult(ChangeResult.RESULT_NOT_FOUND).build();
        }
        long version = meta(current).getVersion();
        if (version != c.getExpectedVersion()) {
            return o.setResult(ChangeResult.RESULT_CONFLICT).setCurrentVersion(version).build();
        }
        if (c.getOp() == Op.OP_UPDATE) {
            String name = name(c.getObject());
            if (name != null && !name.isEmpty() && t.values().stream()
                    .anyMatch(x -> name.equals(name(x)) && !meta(x).getId().equals(c.getId()))) {
                return o.setResult(ChangeResult.RESULT_NAME_CONFLICT).build();
            }
        }
        return o.setResult(ChangeResult.RESULT_OK).setCurrentVersion(version).build();
    }

    private ChangeOutcome commit(Change c) {
        Map<String, StoredObject> t = table(c.getKind());
        if (c.getOp() == Op.OP_DELETE) {
            t.remove(c.getId());
            return ChangeOutcome.newBuilder().setResult(ChangeResult.RESULT_OK).setId(c.getId()).setCurrentVersion(index).build();
        }
        String id = c.getOp() == Op.OP_CREATE && c.getId().isEmpty() ? newId() : c.getId();
        StoredObject stored = withMeta(c.getObject(), meta(c.getObject()).toBuilder().setId(id).setVersion(index).build());
        t.put(id, stored);
        return ChangeOutcome.newBuilder().setResult(ChangeResult.RESULT_OK).setId(id).setCurrentVersion(index).build();
    }

    /** Writes an object directly (as the scheduler or an agent would), returning it as stored. */
    public synchronized StoredObject put(Kind kind, StoredObject object) {
        index++;
        String id = meta(object).getId().isEmpty() ? newId() : meta(object).getId();
        StoredObject stored = withMeta(object, meta(object).toBuilder().setId(id).setVersion(index).build());
        table(kind).put(id, stored);
        return stored;
    }

    @Override
    public synchronized Optional<StoredObject> get(Kind kind, String id) {
        return Optional.ofNullable(table(kind).get(id));
    }

    @Override
    public synchronized List<StoredObject> list(Kind kind, Map<String, String> filters) {
        return table(kind).values().stream().filter(o -> filters.entrySet().stream().allMatch(f -> switch (f.getKey()) {
            case "name" -> f.getValue().equals(name(o));
            case "service_id" -> o.hasTask() && o.getTask().getServiceId().equals(f.getValue());
            case "node_id" -> o.hasTask() && o.getTask().getNodeId().equals(f.getValue());
            default -> true;
        })).toList();
    }

    private static String newId() {
        String alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 25; i++) {
            b.append(alphabet.charAt(RANDOM.nextInt(36)));
        }
        return b.toString();
    }

    static String name(StoredObject o) {
        return switch (o.getObjectCase()) {
            case SERVICE -> o.getService().getSpec().getName();
            case CLUSTER -> o.getCluster().getName();
            case NETWORK -> o.getNetwork().getName();
            default -> null;
        };
    }

    static Meta meta(StoredObject o) {
        return switch (o.getObjectCase()) {
            case CLUSTER -> o.getCluster().getMeta();
            case NODE -> o.getNode().getMeta();
            case SERVICE -> o.getService().getMeta();
            case TASK -> o.getTask().getMeta();
            case NETWORK -> o.getNetwork().getMeta();
            default -> Meta.getDefaultInstance();
        };
    }

    static StoredObject withMeta(StoredObject o, Meta m) {
        return switch (o.getObjectCase()) {
            case CLUSTER -> StoredObject.newBuilder().setCluster(o.getCluster().toBuilder().setMeta(m)).build();
            case NODE -> StoredObject.newBuilder().setNode(o.getNode().toBuilder().setMeta(m)).build();
            case SERVICE -> StoredObject.newBuilder().setService(o.getService().toBuilder().setMeta(m)).build();
            case TASK -> StoredObject.newBuilder().setTask(o.getTask().toBuilder().setMeta(m)).build();
            case NETWORK -> StoredObject.newBuilder().setNetwork(o.getNetwork().toBuilder().setMeta(m)).build();
            default -> o;
        };
    }
}
