package io.flotilla.scheduler.loop;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The warm-up goes through placement, not just through an empty pass. */
class WarmupTest {

    @Test
    void theWarmUpPlacesTasksOfEveryKindOfServiceAndRunsTwice() {
        Warmup.Result first = Warmup.run(true);
        // the host-port service's first two replicas (two workers; the third waits for a free port), the global
        // one's three, the networked two once allocated, a rolling update's successor, a failed task's replacement
        assertTrue(first.placed() >= 2 + 3 + 2 + 1 + 1, "placed " + first.placed());
        assertTrue(first.changes() > first.placed(), "changes " + first.changes());
        Warmup.Result second = Warmup.run(false);
        assertTrue(second.placed() == first.placed(), "a run starts from nothing: " + second + " after " + first);
    }
}
