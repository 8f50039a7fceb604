package io.flotilla.agent.net;

import java.util.List;

/** Runs the kernel tools (ip, bridge, nft, nsenter, sysctl, iptables) the dataplane is made with. */
public interface Shell {

    /** One command and what it gave back. */
    record Result(int exit, String out, String err) {
        public boolean ok() {
            return exit == 0;
        }
    }

    /** Runs {@code argv} with {@code stdin} (may be null) and waits for it. */
    Result run(List<String> argv, String stdin);

    /** Runs it and fails with the command's own error text unless it exits 0. */
    default String check(List<String> argv, String stdin) {
        Result r = run(argv, stdin);
        if (!r.ok()) {
            throw new NetException(String.join(" ", argv.subList(0, Math.min(argv.size(), 6))) + ": "
                    + (r.err().isBlank() ? "exit " + r.exit() : r.err().strip()));
        }
        return r.out();
    }
}
