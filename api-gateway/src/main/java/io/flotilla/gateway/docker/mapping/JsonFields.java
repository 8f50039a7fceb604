package io.flotilla.gateway.docker.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Typed reads of Docker JSON with Go's decoding errors in spirit: a field of the wrong type is a 400
 * ("invalid JSON: ..."), never silently zero. A missing or null field reads as absent.
 */
final class JsonFields {
    static final JsonNodeFactory F = JsonNodeFactory.instance;

    private JsonFields() {
    }

    static boolean has(JsonNode parent, String field) {
        return parent != null && parent.has(field) && !parent.get(field).isNull();
    }

    static JsonNode object(JsonNode parent, String field) {
        if (!has(parent, field)) {
            return null;
        }
        JsonNode n = parent.get(field);
        if (!n.isObject()) {
            throw wrongType(field, "an object", n);
        }
        return n;
    }

    static String text(JsonNode parent, String field) {
        if (!has(parent, field)) {
            return "";
        }
        JsonNode n = parent.get(field);
        if (!n.isTextual()) {
            throw wrongType(field, "a string", n);
        }
        return n.asText();
    }

    static boolean bool(JsonNode parent, String field) {
        if (!has(parent, field)) {
            return false;
        }
        JsonNode n = parent.get(field);
        if (!n.isBoolean()) {
            throw wrongType(field, "a boolean", n);
        }
        return n.booleanValue();
    }

    static long int64(JsonNode parent, String field) {
        if (!has(parent, field)) {
            return 0;
        }
        JsonNode n = parent.get(field);
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw wrongType(field, "an integer", n);
        }
        return n.longValue();
    }

    /** An unsigned integer (Go uint64/uint32): negative numbers are refused. */
    static long uint(JsonNode parent, String field) {
        long v = int64(parent, field);
        if (v < 0) {
            throw new InvalidSpecException("invalid JSON: json: cannot unmarshal number " + v
                    + " into Go struct field " + field + " of type uint64");
        }
        return v;
    }

    static double number(JsonNode parent, String field) {
        if (!has(parent, field)) {
            return 0;
        }
        JsonNode n = parent.get(field);
        if (!n.isNumber()) {
            throw wrongType(field, "a number", n);
        }
        return n.doubleValue();
    }

    static List<String> strings(JsonNode parent, String field) {
        List<String> out = new ArrayList<>();
        if (!has(parent, field)) {
            return out;
        }
        JsonNode n = parent.get(field);
        if (!n.isArray()) {
            throw wrongType(field, "an array of strings", n);
        }
        for (JsonNode e : n) {
            if (!e.isTextual()) {
                throw wrongType(field, "an array of strings", n);
            }
            out.add(e.asText());
        }
        return out;
    }

    static List<JsonNode> objects(JsonNode parent, String field) {
        List<JsonNode> out = new ArrayList<>();
        if (!has(parent, field)) {
            return out;
        }
        JsonNode n = parent.get(field);
        if (!n.isArray()) {
            throw wrongType(field, "an array", n);
        }
        for (JsonNode e : n) {
            if (!e.isObject()) {
                throw wrongType(field, "an array of objects", n);
            }
            out.add(e);
        }
        return out;
    }

    static Map<String, String> stringMap(JsonNode parent, String field) {
        Map<String, String> out = new LinkedHashMap<>();
        if (!has(parent, field)) {
            return out;
        }
        JsonNode n = parent.get(field);
        if (!n.isObject()) {
            throw wrongType(field, "an object of strings", n);
        }
        Iterator<Map.Entry<String, JsonNode>> it = n.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new InvalidSpecException("invalid JSON: json: cannot unmarshal " + kind(e.getValue())
                        + " into Go struct field " + field + " of type string");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    static ObjectNode map(Map<String, String> m) {
        ObjectNode o = F.objectNode();
        m.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> o.put(e.getKey(), e.getValue()));
        return o;
    }

    static ArrayNode array(List<String> values) {
        ArrayNode a = F.arrayNode();
        values.forEach(a::add);
        return a;
    }

    private static InvalidSpecException wrongType(String field, String expected, JsonNode got) {
        return new InvalidSpecException("invalid JSON: json: cannot unmarshal " + kind(got) + " into Go struct field "
                + field + " (expected " + expected + ")");
    }

    private static String kind(JsonNode n) {
        if (n.isTextual()) return "string";
        if (n.isNumber()) return "number";
        if (n.isBoolean()) return "bool";
        if (n.isArray()) return "array";
        if (n.isObject()) return "object";
        return n.getNodeType().name().toLowerCase();
    }
}
