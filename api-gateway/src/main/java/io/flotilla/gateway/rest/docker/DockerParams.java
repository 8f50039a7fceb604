package io.flotilla.gateway.rest.docker;

import io.flotilla.gateway.service.ApiException;
import io.flotilla.gateway.service.TaskLogs;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

import java.util.List;

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

    /** A logs call's query; Docker's 400 when neither stream is asked for. */
    static TaskLogs.Options logOptions(String stdout, String stderr, String follow, String tail, String since,
                                       String timestamps, String details) {
        boolean out = bool(stdout);
        boolean err = bool(stderr);
        if (!out && !err) {
            throw ApiException.badRequest("Bad parameters: you must choose at least one stream");
        }
        return new TaskLogs.Options(out, err, bool(follow), tail, since, bool(timestamps), bool(details));
    }

    /** The sources' logs as Docker's multiplexed stream (sent as it comes). */
    static Response logStream(TaskLogs logs, List<TaskLogs.Source> sources, TaskLogs.Options options) {
        StreamingOutput body = out -> logs.write(sources, options, out);
        return Response.ok(body).type("application/vnd.docker.raw-stream").build();
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
