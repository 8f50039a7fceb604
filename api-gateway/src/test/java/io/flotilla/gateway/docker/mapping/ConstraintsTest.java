package io.flotilla.gateway.docker.mapping;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConstraintsTest {

    @Test
    void acceptsSwarmKeysWithBothOperators() {
        Constraints.validate(List.of("node.role==worker", "node.hostname != swarm01", "node.id==abc123",
                "node.labels.zone==eu-1", "engine.labels.storage!=ssd", "node.platform.os==linux", "Node.Role==manager"));
        Constraints.Constraint c = Constraints.parse(" node.hostname != swarm01 ");
        assertEquals("node.hostname", c.key());
        assertFalse(c.equal());
        assertEquals("swarm01", c.value());
        assertTrue(Constraints.parse("node.role==worker").equal());
    }

    @Test
    void refusesBadSyntaxWithDockersReason() {
        InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> Constraints.parse("node.role=worker"));
        assertEquals("invalid constraint \"node.role=worker\": constraint expected one operator from ==, !=", e.getMessage());
        e = assertThrows(InvalidSpecException.class, () -> Constraints.parse("node.role==wor>ker"));
        assertTrue(e.getMessage().contains("value 'wor>ker' is invalid"), e.getMessage());
        e = assertThrows(InvalidSpecException.class, () -> Constraints.parse("==worker"));
        assertTrue(e.getMessage().contains("key '' is invalid"), e.getMessage());
    }

    @Test
    void refusesUnknownKeys() {
        InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> Constraints.parse("node.colour==red"));
        assertTrue(e.getMessage().startsWith("invalid constraint \"node.colour==red\""), e.getMessage());
        assertThrows(InvalidSpecException.class, () -> Constraints.parse("node.labels.==x"));
        assertThrows(InvalidSpecException.class, () -> Constraints.parse("engine.labels==x"));
    }
}
