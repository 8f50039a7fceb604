package io.flotilla.agent.net;

import java.util.List;

/** One command of a dataplane change: its arguments and what it reads on stdin (may be null). */
public record Step(List<String> argv, String stdin) {
    public Step {
        argv = List.copyOf(argv);
    }

    public static Step of(String... argv) {
        return new Step(List.of(argv), null);
    }
}
