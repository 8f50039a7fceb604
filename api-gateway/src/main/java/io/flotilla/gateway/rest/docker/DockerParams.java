package io.flotilla.gateway.rest.docker;

import io.flotilla.gateway.service.ApiException;

import java.util.Locale;
import java.util.Set;

/** Query parameters read as Docker's daemon reads them. */
final class DockerParams {
    private static final Set<String> FALSE = Set.of("", "0", "no", "false", "none");

    private DockerParams() {
    }

    /** httputils.BoolValue: anything but "", 0, no, false, none is true. */
    static boolean bool(String raw) {
        return raw != null && !FALSE.contains(raw.trim().toLowerCase(Locale.ROOT));
    }

    static long version(String kind, String raw) {
        String text = raw == null ? "" : raw;
        try {
            return Long.parseUnsignedLong(text);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("invalid " + kind + " version '" + text
                    + "': strconv.ParseUint: parsing \"" + text + "\": invalid syntax");
        }
    }
}
