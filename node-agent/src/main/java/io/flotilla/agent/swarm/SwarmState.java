package io.flotilla.agent.swarm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * This host's membership as its agent knows it: whether it is in a swarm, as which node, with which
 * managers to talk to, and whether it runs the manager services itself. Kept on disk
 * (FLOTILLA_DATA/swarm.properties) so a restarted agent keeps its identity and rejoins without a token.
 * The Docker API endpoint (init, join, leave, info) writes it; the dispatcher session follows it.
 */
public final class SwarmState {

    /** What changed listeners see. */
    public record Snapshot(String nodeId, boolean member, boolean manager, List<String> managers) {
        public Snapshot {
            managers = List.copyOf(managers);
        }
    }

    private final Path file;
    private final List<Consumer<Snapshot>> listeners = new CopyOnWriteArrayList<>();
    private volatile Snapshot current;

    public SwarmState(Path dataDir, String freshNodeId) {
        this.file = dataDir.resolve("swarm.properties");
        this.current = load(freshNodeId);
    }

    public Snapshot current() {
        return current;
    }

    /** Records a new membership (init, join, leave, promote) and tells the listeners. */
    public synchronized void update(Snapshot next) {
        store(next);
        current = next;
        listeners.forEach(l -> l.accept(next));
    }

    /** Called now with the current state and then on every change. */
    public void onChange(Consumer<Snapshot> listener) {
        listeners.add(listener);
        listener.accept(current);
    }

    private Snapshot load(String freshNodeId) {
        if (!Files.exists(file)) {
            Snapshot s = new Snapshot(freshNodeId, false, false, List.of());
            store(s);
            return s;
        }
        Properties p = new Properties();
        try (var in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        List<String> managers = new ArrayList<>();
        for (String m : p.getProperty("managers", "").split(",")) {
            if (!m.isBlank()) {
                managers.add(m.trim());
            }
        }
        return new Snapshot(p.getProperty("node.id", freshNodeId),
                Boolean.parseBoolean(p.getProperty("member", "false")),
                Boolean.parseBoolean(p.getProperty("manager", "false")), managers);
    }

    private void store(Snapshot s) {
        Properties p = new Properties();
        p.setProperty("node.id", s.nodeId());
        p.setProperty("member", Boolean.toString(s.member()));
        p.setProperty("manager", Boolean.toString(s.manager()));
        p.setProperty("managers", String.join(",", s.managers()));
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            try (var out = Files.newOutputStream(tmp)) {
                p.store(out, "flotilla node membership");
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
