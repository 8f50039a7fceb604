package io.flotilla.gateway.service;

import java.util.List;
import java.util.function.Function;

/** Docker's resolution of a reference: the full id, else the exact name, else a unique id prefix. */
final class Lookup {
    private Lookup() {
    }

    static <T> T resolve(String kind, String ref, List<T> all, Function<T, String> id, Function<T, String> name) {
        if (ref == null || ref.isEmpty()) {
            throw ApiException.notFound(kind + " " + ref + " not found");
        }
        for (T t : all) {
            if (id.apply(t).equals(ref)) {
                return t;
            }
        }
        List<T> byName = all.stream().filter(t -> ref.equals(name.apply(t))).toList();
        if (byName.size() == 1) {
            return byName.get(0);
        }
        List<T> matches = byName.isEmpty()
                ? all.stream().filter(t -> id.apply(t).startsWith(ref)).toList()
                : byName;
        if (matches.isEmpty()) {
            throw ApiException.notFound(kind + " " + ref + " not found");
        }
        if (matches.size() > 1) {
            throw ApiException.badRequest(kind + " " + ref + " is ambiguous (" + matches.size() + " matches found)");
        }
        return matches.get(0);
    }
}
