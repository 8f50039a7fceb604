package io.flotilla.gateway.docker.mapping;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Placement constraints as Swarm accepts them: {@code key==value} or {@code key!=value}, the key one of
 * node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.NAME or
 * engine.labels.NAME (case-insensitive), the value free of operator characters.
 */
public final class Constraints {
    /** A parsed constraint. */
    public record Constraint(String key, boolean equal, String value) {
    }

    private static final Pattern KEY = Pattern.compile("(?i)^[a-z_][a-z0-9\\-_.]+$");
    private static final Pattern VALUE = Pattern.compile("(?i)^[a-z0-9:\\-_\\s.*()?+\\[\\]\\\\^$|/]+$");
    private static final List<String> FIXED_KEYS =
            List.of("node.id", "node.hostname", "node.role", "node.platform.os", "node.platform.arch");
    private static final List<String> LABEL_PREFIXES = List.of("node.labels.", "engine.labels.");

    private Constraints() {
    }

    /** Parses one constraint or throws {@link InvalidSpecException} "invalid constraint ...". */
    public static Constraint parse(String expression) {
        String op;
        if (expression.contains("==")) {
            op = "==";
        } else if (expression.contains("!=")) {
            op = "!=";
        } else {
            throw invalid(expression, "constraint expected one operator from ==, !=");
        }
        int at = expression.indexOf(op);
        String key = expression.substring(0, at).trim();
        String value = expression.substring(at + 2).trim();
        if (!KEY.matcher(key).matches()) {
            throw invalid(expression, "key '" + key + "' is invalid");
        }
        if (!VALUE.matcher(value).matches()) {
            throw invalid(expression, "value '" + value + "' is invalid");
        }
        String lower = key.toLowerCase(Locale.ROOT);
        boolean known = FIXED_KEYS.contains(lower)
                || LABEL_PREFIXES.stream().anyMatch(p -> lower.startsWith(p) && lower.length() > p.length());
        if (!known) {
            throw invalid(expression, "key '" + key + "' is not one of node.id, node.hostname, node.role, "
                    + "node.platform.os, node.platform.arch, node.labels.<label>, engine.labels.<label>");
        }
        return new Constraint(key, op.equals("=="), value);
    }

    public static void validate(List<String> expressions) {
        expressions.forEach(Constraints::parse);
    }

    private static InvalidSpecException invalid(String expression, String why) {
        return new InvalidSpecException("invalid constraint \"" + expression + "\": " + why);
    }
}
