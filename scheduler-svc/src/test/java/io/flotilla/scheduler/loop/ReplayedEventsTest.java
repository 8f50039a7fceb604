package io.flotilla.scheduler.loop;

import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.scheduler.harness.Harness;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A run of changes seen again after newer ones (a stream read again from an earlier point) must change nothing
 * while the objects are still there. (Not so for an object deleted in between once the stream has passed the
 * deletion: its tombstone is gone, which is why the Kafka consumer reads committed records only.)
 */
class ReplayedEventsTest {

    @Test
    void changesSeenAgainAfterNewerOnesMakeNoWrite() {
        Harness h = new Harness();
        List<StateEvent> seen = new CopyOnWriteArrayList<>();
        h.store.subscribe(seen::add);
        h.node("w1", NodeRole.ROLE_WORKER);
        h.node("w2", NodeRole.ROLE_WORKER);
        String svc = h.service("web", 3);
        for (int failure = 0; failure < 2; failure++) { // two tasks fail in turn and are replaced
            h.converge();
            h.runAll();
            h.converge();
            h.report(h.wanted(svc).get(failure).getMeta().getId(), TaskState.TASK_FAILED);
        }
        h.converge();
        h.updateService(svc, s -> s.setSpec(s.getSpec().toBuilder().setReplicated(
                s.getSpec().getReplicated().toBuilder().setReplicas(2))).setSpecVersion(2));
        h.converge(); // scaled down: slot 3 shut down
        List<Task> before = sorted(h.store.tasks());
        long index = h.store.index();
        long applied = h.loop.changesApplied();
        long rejected = h.loop.changesRejected();

        // an aborted transaction's records (a run of the history after some point), then the next leader's
        // re-publication of the history from a point before it, each in index order; a pass after every event
        List<StateEvent> history = new ArrayList<>(seen);
        List<StateEvent> replayed = new ArrayList<>(history.subList(history.size() / 2, history.size() * 3 / 4));
        replayed.addAll(history.subList(history.size() / 3, history.size()));
        for (StateEvent e : replayed) {
            h.loop.submit(e);
            h.converge();
        }

        assertEquals(index, h.store.index(), "nothing written");
        assertEquals(applied, h.loop.changesApplied());
        assertEquals(rejected, h.loop.changesRejected(), "nothing attempted either");
        assertEquals(before, sorted(h.store.tasks()));
    }

    private static List<Task> sorted(List<Task> tasks) {
        List<Task> out = new ArrayList<>(tasks);
        out.sort(Comparator.comparing(t -> t.getMeta().getId()));
        return out;
    }
}
