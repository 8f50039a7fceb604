package io.flotilla.dns.feed;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StoreFileWatchTest {
    @TempDir
    Path dir;

    @Test
    void aReplacedOrRemovedFileIsReadAtOnceAndAnIdleOneNotAgain() throws Exception {
        Path file = dir.resolve("store");
        AtomicInteger reads = new AtomicInteger();
        try (StoreFileWatch w = new StoreFileWatch(file, 600_000, reads::incrementAndGet).start()) {
            assertTrue(w.watching());
            Thread.sleep(500);
            assertEquals(0, reads.get(), "nothing changed: not read");

            Path tmp = dir.resolve("store.tmp");
            Files.writeString(tmp, "store=127.0.0.1:2377\n");
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            await(() -> reads.get() >= 1, "read after the move");

            int before = reads.get();
            Files.delete(file);
            await(() -> reads.get() > before, "read after the removal");
        }
    }

    @Test
    void aDirectoryThatCannotBeWatchedIsPolled() throws Exception {
        Path file = dir.resolve("missing/store");
        AtomicInteger reads = new AtomicInteger();
        try (StoreFileWatch w = new StoreFileWatch(file, 600_000, reads::incrementAndGet).start()) {
            assertFalse(w.watching());
            await(() -> reads.get() >= 3, "polled");
        }
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5_000;
        while (!condition.getAsBoolean()) {
            assertTrue(System.currentTimeMillis() < deadline, "not in 5 s: " + what);
            Thread.sleep(10);
        }
    }
}
