package io.flotilla.state.dispatcher;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The host probe against this machine's own loopback (no other address is ever probed by a test). */
class HostCheckTest {

    @Test
    void aLiveHostAnswersTheEcho() throws Exception {
        assertTrue(HostCheck.echo(300).answers("127.0.0.1").toCompletableFuture().get());
    }

    @Test
    void aNameIsNotLookedUpAndDoesNotAnswer() throws Exception {
        assertFalse(HostCheck.echo(300).answers("swarm01").toCompletableFuture().get());
        assertTrue(HostCheck.literal("10.10.10.61"));
        assertTrue(HostCheck.literal("fd00::1"));
        assertFalse(HostCheck.literal("swarm01"));
        assertFalse(HostCheck.literal("cafe"));
        assertFalse(HostCheck.literal("10.10.10.61.example"));
    }

    @Test
    void withoutProbingNoHostAnswers() throws Exception {
        assertFalse(HostCheck.NONE.probe().answers("127.0.0.1").toCompletableFuture().get());
    }
}
