package io.flotilla.scheduler.placement;

import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeRole;

import java.util.Locale;
import java.util.Optional;

/**
 * One placement constraint, "key==value" or "key!=value", with Swarm's keys: node.id, node.hostname,
 * node.role, node.platform.os, node.platform.arch, node.labels.&lt;name&gt;, engine.labels.&lt;name&gt;.
 * Values compare case-insensitively, as Swarm's do.
 */
public record Constraint(String key, boolean equal, String value) {

    /** Parses a constraint; empty if the syntax or the key is not valid. */
    public static Optional<Constraint> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        int eq = text.indexOf("==");
        int ne = text.indexOf("!=");
        int at;
        boolean equal;
        if (eq >= 0 && (ne < 0 || eq < ne)) {
            at = eq;
            equal = true;
        } else if (ne >= 0) {
            at = ne;
            equal = false;
        } else {
            return Optional.empty();
        }
        String key = text.substring(0, at).trim();
        String value = text.substring(at + 2).trim();
        if (key.isEmpty() || value.isEmpty() || value.contains("==") || value.contains("!=")) {
            return Optional.empty();
        }
        String lower = key.toLowerCase(Locale.ROOT);
        boolean known = switch (lower) {
            case "node.id", "node.hostname", "node.role", "node.platform.os", "node.platform.arch" -> true;
            default -> (lower.startsWith("node.labels.") && lower.length() > "node.labels.".length())
                    || (lower.startsWith("engine.labels.") && lower.length() > "engine.labels.".length());
        };
        if (!known) {
            return Optional.empty();
        }
        if (lower.startsWith("node.labels.") || lower.startsWith("engine.labels.")) {
            int dot = lower.startsWith("node.") ? "node.labels.".length() : "engine.labels.".length();
            key = lower.substring(0, dot) + key.substring(dot);
        } else {
            key = lower;
        }
        return Optional.of(new Constraint(key, equal, value));
    }

    public boolean matches(Node node) {
        String actual = actual(node);
        boolean same = actual != null && actual.equalsIgnoreCase(value);
        return equal == same;
    }

    private String actual(Node node) {
        switch (key) {
            case "node.id":
                return node.getMeta().getId();
            case "node.hostname":
                return node.getDescription().getHostname();
            case "node.role":
                return node.getRole() == NodeRole.ROLE_MANAGER ? "manager" : "worker";
            case "node.platform.os":
                return node.getDescription().getOs();
            case "node.platform.arch":
                return node.getDescription().getArchitecture();
            default:
                if (key.startsWith("node.labels.")) {
                    return node.getSpec().getLabelsMap().get(key.substring("node.labels.".length()));
                }
                return node.getDescription().getEngineLabelsMap().get(key.substring("engine.labels.".length()));
        }
    }
}
