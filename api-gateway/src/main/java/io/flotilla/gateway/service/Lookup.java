package io.flotilla.gateway.service;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.gateway.store.StoreClient;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/** Docker's resolution of a reference: the full id, else the exact name, else a unique id prefix. */
final class Lookup {
    private Lookup() {
    }

    /**
     * As {@link #resolve}, reading the store no more than the reference needs: a full id is one get, an exact
     * name one list through the store's name filter (the CLI's and the benches' polls name a service); only an id
     * prefix, or no match, reads every object of the kind. For the kinds whose names are unique (services,
     * networks). {@code of}: the object of the kind, null when the stored object holds another.
     */
    static <T> T find(String kind, StoreClient store, Kind storeKind, String ref, Function<StoredObject, T> of,
                      Supplier<List<T>> all, Function<T, String> id, Function<T, String> name) {
        if (ref != null && !ref.isEmpty()) {
            Optional<T> direct = store.get(storeKind, ref).map(of);
            if (direct.isPresent()) {
                return direct.get();
            }
            List<StoredObject> named = store.list(storeKind, Map.of("name", ref));
            T byName = named.size() == 1 ? of.apply(named.get(0)) : null;
            if (byName != null) {
                return byName;
            }
        }
        return resolve(kind, ref, all.get(), id, name);
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
