package io.flotilla.agent.supervisor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Class data sharing for a service's JVM (node-agent/design/startup.md): the build of each manager service
 * writes an AppCDS archive of the classes its start loads beside its jars ({@code quarkus-app/app-cds.jsa},
 * {@code quarkus.package.jar.appcds.enabled}), and the service is started with it. The JVM checks the archive
 * against the JDK and the jars it runs ({@code -Xshare:auto}): a stale or foreign one is ignored with a warning
 * in the service's log, and the classes come from the jars as without it.
 *
 * <p>The archive names its class path as the build ran it, {@code quarkus-run.jar} relative to the
 * {@code quarkus-app} directory, so the JVM must start in that directory ({@link #prefix}).
 */
final class ClassDataSharing {
    static final String ARCHIVE = "app-cds.jsa";

    private final Path archive;

    private ClassDataSharing(Path archive) {
        this.archive = archive;
    }

    /**
     * The archive of the application in {@code quarkusApp}, when sharing is on, the build made one, and the
     * command line so far names no archive or sharing mode of its own (its options win).
     */
    static Optional<ClassDataSharing> of(Path quarkusApp, List<String> command, boolean enabled) {
        Path archive = quarkusApp.resolve(ARCHIVE);
        if (!enabled || !Files.isRegularFile(archive) || command.stream().anyMatch(ClassDataSharing::choosesSharing)) {
            return Optional.empty();
        }
        return Optional.of(new ClassDataSharing(archive));
    }

    private static boolean choosesSharing(String option) {
        return option.startsWith("-Xshare") || option.startsWith("-XX:SharedArchiveFile")
                || option.startsWith("-XX:ArchiveClassesAtExit");
    }

    /** Before {@code java}: start it in the application's directory, where the archive's class path is. */
    List<String> prefix() {
        return List.of("env", "-C", archive.getParent().toString());
    }

    /** The JVM options: the archive, used when it matches and ignored (not fatal) when it does not. */
    List<String> options() {
        return List.of("-Xshare:auto", "-XX:SharedArchiveFile=" + archive);
    }
}
