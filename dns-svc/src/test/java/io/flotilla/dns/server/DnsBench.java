package io.flotilla.dns.server;

import io.flotilla.dns.view.NameTable;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * Queries/s and p50/p99 latency over UDP on loopback: N client threads, each one query in flight (closed
 * loop) for the service name "nodejs" (a local answer). Not a test; run by hand:
 * {@code java -cp <test-classes>:<classes>:<deps> io.flotilla.dns.server.DnsBench [seconds] [threads...]}
 * Against a running dns-svc: {@code -Dbench.target=ip:port} (then the query source must be a task's).
 */
public final class DnsBench {
    // the tool's source address: loopback (for 127.0.0.11 or a server on loopback); -Dbench.bind=0.0.0.0 to
    // ask a server on another address directly
    private static final InetAddress BIND = bindAddress();

    private static InetAddress bindAddress() {
        try {
            String b = System.getProperty("bench.bind");
            return b == null ? InetAddress.getLoopbackAddress() : InetAddress.getByName(b);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int[] threadCounts = args.length > 1 ? Arrays.stream(args).skip(1).mapToInt(Integer::parseInt).toArray()
                : new int[]{1, 4, 16};
        String name = System.getProperty("bench.name", "nodejs.");
        DnsServer server = null;
        InetSocketAddress target;
        if (System.getProperty("bench.serve") != null) { // the server alone, until killed
            NameTable table = DnsServerTest.serverTable();
            if (System.getProperty("bench.source") != null) { // queries from there are busybox's too
                table.putSources("b1", List.of(InetAddress.getLoopbackAddress(),
                        InetAddress.getByName(System.getProperty("bench.source"))));
            }
            DnsResponder responder = new DnsResponder(table, new ForwardingUpstream(List.of(), Duration.ofSeconds(1),
                    Executors.newSingleThreadExecutor()), 1, 256);
            server = new DnsServer(responder, ResolvConf.parseList(System.getProperty("bench.serve")).get(0),
                    new DnsServer.Options(Integer.getInteger("bench.udpThreads", 2), 16, 1000, 3000));
            server.start();
            System.out.println("serving on " + server.udpAddress());
            Thread.sleep(Long.MAX_VALUE);
        }
        if (System.getProperty("bench.target") != null) {
            target = ResolvConf.parseList(System.getProperty("bench.target")).get(0);
        } else {
            NameTable table = DnsServerTest.serverTable();
            DnsResponder responder = new DnsResponder(table, new ForwardingUpstream(List.of(), Duration.ofSeconds(1),
                    Executors.newSingleThreadExecutor()), 1, 256);
            server = new DnsServer(responder, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    new DnsServer.Options(Integer.getInteger("bench.udpThreads", 1), 16, 1000, 3000));
            server.start();
            target = server.udpAddress();
        }
        byte[] query = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN)).toWire();
        boolean loop = "loop".equals(System.getProperty("bench.mode"));
        long answered = (loop ? loop(target, query, 1, 2) : run(target, query, 1, 2)).answered(); // warm-up
        System.out.printf("%-8s %10s %10s %10s %10s%n", loop ? "inflight" : "threads", "queries/s", "p50 us",
                "p99 us", "lost");
        for (int n : threadCounts) {
            Result r = loop ? loop(target, query, n, seconds) : run(target, query, n, seconds);
            answered += r.answered();
            System.out.printf("%-8d %10.0f %10.1f %10.1f %10d%n", n, r.qps, r.p50 / 1000.0, r.p99 / 1000.0, r.lost);
            System.out.println("         " + r.detail());
        }
        long gcs = 0;
        long gcMillis = 0;
        for (java.lang.management.GarbageCollectorMXBean gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            gcs += gc.getCollectionCount();
            gcMillis += gc.getCollectionTime();
        }
        System.out.printf("tool gc: %d collections, %d ms%n", gcs, gcMillis);
        System.out.printf("answered %d%n", answered); // all queries, warm-up included (CPU per query)
        if (server != null) {
            server.close();
        }
    }

    /** detail: where the tail is (share over 1 ms, the threads' spread, the tool's wait for a core). */
    record Result(double qps, long p50, long p99, long lost, long answered, String detail) {
    }

    /** This thread's time on a core and waiting for one (run queue), in ns: /proc/thread-self/schedstat. */
    static long[] schedstat() {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/thread-self/schedstat")).trim().split(" ");
            return new long[]{Long.parseLong(f[0]), Long.parseLong(f[1])};
        } catch (java.io.IOException | RuntimeException e) {
            return new long[]{0, 0};
        }
    }

    /**
     * Latencies in buckets: 100 ns wide below 1 ms, 10 us wide up to 1 s (beyond: the last bucket); every
     * answered query is counted, however long the run.
     */
    static final class Histogram {
        private static final int FINE = 10_000;
        private static final int COARSE = 100_000;
        final int[] buckets = new int[FINE + COARSE];
        long count;

        void add(long nanos) {
            int b = nanos < 1_000_000 ? (int) (nanos / 100) : FINE + (int) Math.min(COARSE - 1, (nanos - 1_000_000) / 10_000);
            buckets[b]++;
            count++;
        }

        void addAll(Histogram o) {
            for (int i = 0; i < buckets.length; i++) {
                buckets[i] += o.buckets[i];
            }
            count += o.count;
        }

        long over(long nanos) {
            long n = 0;
            for (int i = nanos < 1_000_000 ? (int) (nanos / 100) : FINE + (int) ((nanos - 1_000_000) / 10_000); i < buckets.length; i++) {
                n += buckets[i];
            }
            return n;
        }

        /** The upper bound of the bucket holding the quantile, in ns. */
        long quantile(double q) {
            if (count == 0) {
                return 0;
            }
            long rank = Math.min(count, (long) Math.ceil(count * q));
            long seen = 0;
            for (int i = 0; i < buckets.length; i++) {
                seen += buckets[i];
                if (seen >= rank) {
                    return i < FINE ? (i + 1) * 100L : 1_000_000L + (i - FINE + 1) * 10_000L;
                }
            }
            return 1_000_000_000L;
        }
    }

    /**
     * As dnsperf does: one thread keeps n queries in flight over n connected non-blocking sockets, sending
     * the next one as each answer arrives (an answer not there after a second is counted lost and the
     * query sent again). One wake-up can collect several answers, so the tool costs less per query than
     * a thread per query that sleeps in receive.
     */
    static Result loop(InetSocketAddress target, byte[] query, int n, int seconds) throws Exception {
        Histogram h = new Histogram();
        long lost = 0;
        long[] sentAt = new long[n];
        int[] ids = new int[n];
        DatagramChannel[] chs = new DatagramChannel[n];
        ByteBuffer out = ByteBuffer.wrap(query.clone());
        ByteBuffer in = ByteBuffer.allocateDirect(1500);
        try (Selector sel = Selector.open()) {
            for (int i = 0; i < n; i++) {
                chs[i] = DatagramChannel.open();
                chs[i].bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                chs[i].connect(target);
                chs[i].configureBlocking(false);
                chs[i].register(sel, SelectionKey.OP_READ, i);
            }
            int nextId = 0;
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            for (int i = 0; i < n; i++) {
                nextId = send(chs[i], out, i, ids, sentAt, nextId);
            }
            long lastCheck = System.nanoTime();
            while (System.nanoTime() < end) {
                sel.select(100);
                Set<SelectionKey> ready = sel.selectedKeys();
                for (SelectionKey k : ready) {
                    int i = (Integer) k.attachment();
                    // one read per ready socket: one query in flight on it, so one answer (a second read
                    // would be a recvfrom failing with EAGAIN per answer); a late one shows up at the next select
                    in.clear();
                    int got = chs[i].read(in);
                    if (got >= 2 && ((in.get(0) & 0xff) << 8 | (in.get(1) & 0xff)) == ids[i]) {
                        long now = System.nanoTime();
                        h.add(now - sentAt[i]);
                        if (now < end) {
                            nextId = send(chs[i], out, i, ids, sentAt, nextId);
                        }
                    }
                }
                ready.clear();
                long now = System.nanoTime();
                if (now - lastCheck > 100_000_000L) {
                    lastCheck = now;
                    for (int i = 0; i < n; i++) {
                        if (sentAt[i] != 0 && now - sentAt[i] > 1_000_000_000L) {
                            lost++;
                            nextId = send(chs[i], out, i, ids, sentAt, nextId);
                        }
                    }
                }
            }
        } finally {
            for (DatagramChannel c : chs) {
                if (c != null) {
                    c.close();
                }
            }
        }
        long[] st = schedstat(); // the one thread's, since its start (the warm-up and earlier rows included)
        return new Result(h.count / (double) seconds, h.quantile(0.5), h.quantile(0.99), lost, h.count,
                String.format("over 1 ms %.2f%%; tool thread so far: on a core %.1f s, waiting for one %.1f s",
                        100.0 * h.over(1_000_000) / Math.max(1, h.count), st[0] / 1e9, st[1] / 1e9));
    }

    private static int send(DatagramChannel ch, ByteBuffer out, int slot, int[] ids, long[] sentAt, int nextId)
            throws java.io.IOException {
        int id = nextId & 0xffff;
        ids[slot] = id;
        out.put(0, (byte) (id >> 8));
        out.put(1, (byte) id);
        out.rewind();
        sentAt[slot] = System.nanoTime();
        ch.write(out);
        return nextId + 1;
    }

    /**
     * N threads, one query each in flight: a connected blocking DatagramChannel per thread with direct
     * buffers (write and read are one send and one recv each, no address to convert and the route
     * cached in the socket: the tool's own cost counts in both columns of bench/dns, so it is kept low).
     */
    static Result run(InetSocketAddress target, byte[] query, int threads, int seconds) throws Exception {
        Histogram[] hist = new Histogram[threads];
        long[] lost = new long[threads];
        long[] waited = new long[threads]; // ns in the run queue during the row
        long[] onCpu = new long[threads];
        DatagramChannel[] channels = new DatagramChannel[threads];
        CountDownLatch done = new CountDownLatch(threads);
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        for (int t = 0; t < threads; t++) {
            int me = t;
            hist[me] = new Histogram();
            DatagramChannel ch = DatagramChannel.open(java.net.StandardProtocolFamily.INET);
            channels[me] = ch;
            ch.bind(new InetSocketAddress(BIND, 0));
            ch.connect(target);
            Thread th = new Thread(() -> {
                Histogram h = hist[me];
                // a query lost stops its thread until the end, when its channel is closed (counted in "lost")
                try (ch) {
                    ByteBuffer out = ByteBuffer.allocateDirect(query.length);
                    out.put(query);
                    ByteBuffer in = ByteBuffer.allocateDirect(1500);
                    int id = me << 12;
                    long[] st0 = schedstat();
                    while (System.nanoTime() < end) {
                        id = (id + 1) & 0xffff;
                        out.put(0, (byte) (id >> 8));
                        out.put(1, (byte) id);
                        out.rewind();
                        long t0 = System.nanoTime();
                        ch.write(out);
                        do {
                            in.clear();
                            ch.read(in);
                        } while (in.position() < 2 || ((in.get(0) & 0xff) << 8 | (in.get(1) & 0xff)) != id);
                        h.add(System.nanoTime() - t0);
                    }
                    long[] st1 = schedstat();
                    onCpu[me] = st1[0] - st0[0];
                    waited[me] = st1[1] - st0[1];
                } catch (java.nio.channels.AsynchronousCloseException e) {
                    lost[me]++; // closed at the end while waiting for an answer
                } catch (Exception e) {
                    e.printStackTrace();
                } finally {
                    done.countDown();
                }
            });
            th.setDaemon(true);
            th.start();
        }
        if (!done.await(seconds + 2L, java.util.concurrent.TimeUnit.SECONDS)) {
            for (DatagramChannel c : channels) {
                c.close();
            }
            done.await();
        }
        Histogram all = new Histogram();
        long minP99 = Long.MAX_VALUE;
        long maxP99 = 0;
        long minCount = Long.MAX_VALUE;
        long maxCount = 0;
        for (Histogram h : hist) {
            all.addAll(h);
            minP99 = Math.min(minP99, h.quantile(0.99));
            maxP99 = Math.max(maxP99, h.quantile(0.99));
            minCount = Math.min(minCount, h.count);
            maxCount = Math.max(maxCount, h.count);
        }
        long n = Math.max(1, all.count);
        String detail = String.format("over 1 ms %.2f%%; threads' p99 %.0f-%.0f us, answers %d-%d; per query: tool on a core "
                        + "%.1f us, tool waiting for a core %.1f us (mean latency %.1f us)",
                100.0 * all.over(1_000_000) / n, minP99 / 1000.0, maxP99 / 1000.0, minCount, maxCount,
                Arrays.stream(onCpu).sum() / 1000.0 / n, Arrays.stream(waited).sum() / 1000.0 / n,
                threads * seconds * 1e6 / n);
        return new Result(all.count / (double) seconds, all.quantile(0.5), all.quantile(0.99), Arrays.stream(lost).sum(),
                all.count, detail);
    }
}
