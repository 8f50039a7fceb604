package io.flotilla.scheduler.orchestrator;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TaskIdsTest {

    /**
     * The ids a slot's tasks get never change between versions: during an upgrade two schedulers of
     * different versions must still propose the same create for a slot (the store keeps one). These are
     * the ids the first version (BigInteger.toString(36) of the SHA-256) gave.
     */
    @Test
    void idsAreTheSameAsTheFirstVersionGave() {
        assertEquals("lixasoo0kucbb12a6wv2v9u2t", TaskIds.next("svc-web", "1", ""));
        assertEquals("lrrfa2qj1uxx2i49gd0u2wxfy", TaskIds.next("svc-web", "2", "abc"));
        assertEquals("sd87k6i71875poozg3wui4f2m", TaskIds.next("x", "node:n1", "0123456789abcdefghijklmno"));
        assertEquals("1iz207q8y08bpk4ldwm0sz911", TaskIds.next("\u00e9", "", ""));
    }
}
