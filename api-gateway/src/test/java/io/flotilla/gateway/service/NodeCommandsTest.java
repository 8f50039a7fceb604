package io.flotilla.gateway.service;

import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Node;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which `docker node update` (promote, demote, availability, labels) versions are in sequence. */
class NodeCommandsTest {
    /** A node whose spec was last changed against version 10 (so at 11) and which is now at version 20. */
    private static final Node NODE = Node.newBuilder().setMeta(Meta.newBuilder().setId("n").setVersion(20))
            .setSpecBaseVersion(10).build();

    @Test
    void theCurrentVersionIsInSequence() {
        assertTrue(NodeCommands.inSequence(NODE, 20));
    }

    @Test
    void aVersionReadAfterTheLastSpecChangeIsInSequenceThoughTheStatusChangedSince() {
        assertTrue(NodeCommands.inSequence(NODE, 11));
        assertTrue(NodeCommands.inSequence(NODE, 19));
    }

    @Test
    void aVersionReadBeforeTheLastSpecChangeIsOutOfSequence() {
        assertFalse(NodeCommands.inSequence(NODE, 10), "read just before the spec change: that client did not see it");
        assertFalse(NodeCommands.inSequence(NODE, 3));
    }

    @Test
    void aVersionFromTheFutureOrNoneIsOutOfSequence() {
        assertFalse(NodeCommands.inSequence(NODE, 21));
        assertFalse(NodeCommands.inSequence(NODE, 0));
    }

    @Test
    void aNodeWhoseSpecNeverChangedTakesAnyVersionSinceItsCreation() {
        Node joined = Node.newBuilder().setMeta(Meta.newBuilder().setId("n").setVersion(7)).build();
        assertTrue(NodeCommands.inSequence(joined, 1));
        assertTrue(NodeCommands.inSequence(joined, 7));
    }
}
