package io.flotilla.gateway.docker.mapping;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/** Docker's timestamps: RFC 3339 with up to nanoseconds, UTC ("Z"); Go's zero time for "never". */
public final class DockerTime {
    public static final String ZERO = "0001-01-01T00:00:00Z";

    private DockerTime() {
    }

    public static String format(long epochMillis) {
        return epochMillis <= 0 ? ZERO : Instant.ofEpochMilli(epochMillis).toString();
    }

    /** Milliseconds since the epoch of an RFC 3339 timestamp; 0 for Go's zero time. */
    public static long parseMillis(String text) {
        if (text == null || text.isEmpty() || ZERO.equals(text)) {
            return 0;
        }
        try {
            return Instant.parse(text).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new InvalidSpecException("invalid timestamp: " + text);
        }
    }
}
