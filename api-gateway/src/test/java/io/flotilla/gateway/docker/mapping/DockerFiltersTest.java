package io.flotilla.gateway.docker.mapping;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DockerFiltersTest {

    @Test
    void bothFilterFormsParse() {
        DockerFilters f = DockerFilters.parse("{\"service\":{\"web\":true},\"_up-to-date\":{\"true\":true}}");
        assertEquals(Set.of("web"), f.get("service"));
        assertTrue(f.has("_up-to-date"));
        assertEquals(Set.of("a", "b"), DockerFilters.parse("{\"name\":[\"a\",\"b\"]}").get("name"));
        assertFalse(DockerFilters.parse("").has("name"));
        assertFalse(DockerFilters.parse(null).has("name"));
    }

    @Test
    void unknownKeysAndBadJsonAreRefused() {
        assertThrows(InvalidSpecException.class, () -> DockerFilters.parse("{\"colour\":{\"x\":true}}").accept("name"));
        assertThrows(InvalidSpecException.class, () -> DockerFilters.parse("{not json"));
    }

    @Test
    void labelFilters() {
        DockerFilters f = DockerFilters.parse("{\"label\":{\"zone=a\":true,\"ssd\":true}}");
        assertTrue(f.matchesLabels("label", Map.of("zone", "a", "ssd", "")));
        assertFalse(f.matchesLabels("label", Map.of("zone", "b", "ssd", "")));
        assertFalse(f.matchesLabels("label", Map.of("zone", "a")));
    }
}
