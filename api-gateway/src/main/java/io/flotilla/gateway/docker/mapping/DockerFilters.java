package io.flotilla.gateway.docker.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The {@code filters} query parameter: JSON {@code {"name": {"web": true}}} (or the older
 * {@code {"name": ["web"]}}). An empty or missing parameter is no filter.
 */
public final class DockerFilters {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, Set<String>> values;

    private DockerFilters(Map<String, Set<String>> values) {
        this.values = values;
    }

    public static DockerFilters none() {
        return new DockerFilters(Map.of());
    }

    public static DockerFilters parse(String raw) {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        if (raw == null || raw.isBlank()) {
            return new DockerFilters(out);
        }
        JsonNode root;
        try {
            root = JSON.readTree(raw);
        } catch (Exception e) {
            throw new InvalidSpecException("invalid filter: " + raw);
        }
        if (!root.isObject()) {
            throw new InvalidSpecException("invalid filter: " + raw);
        }
        Iterator<Map.Entry<String, JsonNode>> it = root.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            Set<String> set = new LinkedHashSet<>();
            JsonNode v = e.getValue();
            if (v.isObject()) {
                v.fields().forEachRemaining(f -> {
                    if (f.getValue().asBoolean(false)) {
                        set.add(f.getKey());
                    }
                });
            } else if (v.isArray()) {
                v.forEach(x -> set.add(x.asText()));
            } else {
                throw new InvalidSpecException("invalid filter '" + e.getKey() + "'");
            }
            out.put(e.getKey(), set);
        }
        return new DockerFilters(out);
    }

    /** Refuses keys other than those given, as Docker does: "invalid filter 'x'". */
    public DockerFilters accept(String... keys) {
        Set<String> ok = Set.of(keys);
        for (String k : values.keySet()) {
            if (!ok.contains(k)) {
                throw new InvalidSpecException("invalid filter '" + k + "'");
            }
        }
        return this;
    }

    public boolean has(String key) {
        return values.containsKey(key) && !values.get(key).isEmpty();
    }

    public Set<String> get(String key) {
        return values.getOrDefault(key, Set.of());
    }

    /** True when the key is absent, or when any of its values satisfies the test. */
    public boolean matches(String key, java.util.function.Predicate<String> test) {
        return !has(key) || get(key).stream().anyMatch(test);
    }

    /** Label filters: "key" (present) or "key=value". */
    public boolean matchesLabels(String key, Map<String, String> labels) {
        if (!has(key)) {
            return true;
        }
        for (String f : get(key)) {
            int eq = f.indexOf('=');
            boolean ok = eq < 0 ? labels.containsKey(f) : f.substring(eq + 1).equals(labels.get(f.substring(0, eq)));
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
