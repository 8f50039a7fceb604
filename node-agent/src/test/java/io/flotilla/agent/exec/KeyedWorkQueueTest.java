package io.flotilla.agent.exec;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyedWorkQueueTest {

    @Test
    void aKeyAddedWhileHandledIsHandledOnceMoreNeverConcurrently() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger maxConcurrent = new AtomicInteger();
        List<String> handled = new CopyOnWriteArrayList<>();
        try (KeyedWorkQueue q = new KeyedWorkQueue("t", 2, 10, 100, key -> {
            int now = concurrent.incrementAndGet();
            maxConcurrent.accumulateAndGet(now, Math::max);
            handled.add(key);
            if (handled.size() == 1) {
                inside.countDown();
                try {
                    release.await(2, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            concurrent.decrementAndGet();
        })) {
            q.add("a");
            assertTrue(inside.await(2, TimeUnit.SECONDS));
            q.add("a");
            q.add("a");
            q.add("a");
            release.countDown();
            long end = System.currentTimeMillis() + 2000;
            while (!q.idle() && System.currentTimeMillis() < end) {
                Thread.sleep(5);
            }
            Thread.sleep(50);
            assertEquals(List.of("a", "a"), handled, "three adds during handling make one more run");
            assertEquals(1, maxConcurrent.get());
        }
    }

    @Test
    void aFailingKeyIsRetriedAfterBackoff() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch third = new CountDownLatch(3);
        try (KeyedWorkQueue q = new KeyedWorkQueue("t", 1, 10, 100, key -> {
            runs.incrementAndGet();
            third.countDown();
            if (runs.get() < 3) {
                throw new IllegalStateException("engine down");
            }
        })) {
            q.add("a");
            assertTrue(third.await(2, TimeUnit.SECONDS));
            Thread.sleep(100);
            assertEquals(3, runs.get(), "no further runs once it succeeded");
        }
    }
}
