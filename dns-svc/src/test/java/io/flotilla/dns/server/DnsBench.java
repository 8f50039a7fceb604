package io.flotilla.dns.server;

import io.flotilla.dns.view.NameTable;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * Queries/s and p50/p99 latency over UDP on loopback: N client threads, each one query in flight (closed
 * loop) for the service name "nodejs" (a local answer). Not a test; run by hand:
 * {@code java -cp <test-classes>:<classes>:<deps> io.flotilla.dns.server.DnsBench [seconds] [threads...]}
 * Against a running dns-svc: {@code -Dbench.target=ip:port} (then the query source must be a task's).
 */
public final class DnsBench {
    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int[] threadCounts = args.length > 1 ? Arrays.stream(args).skip(1).mapToInt(Integer::parseInt).toArray()
                : new int[]{1, 4, 16};
        String name = System.getProperty("bench.name", "nodejs.");
        DnsServer server = null;
        InetSocketAddress target;
        if (System.getProperty("bench.target") != null) {
            target = ResolvConf.parseList(System.getProperty("bench.target")).get(0);
        } else {
            NameTable table = DnsServerTest.serverTable();
            DnsResponder responder = new DnsResponder(table, new ForwardingUpstream(List.of(), Duration.ofSeconds(1),
                    Executors.newSingleThreadExecutor()), 1, 256);
            server = new DnsServer(responder, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    new DnsServer.Options(Integer.getInteger("bench.udpThreads", 2), 16, 1000, 3000));
            server.start();
            target = server.udpAddress();
        }
        byte[] query = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN)).toWire();
        run(target, query, 1, 2); // warm-up
        System.out.printf("%-8s %10s %10s %10s %10s%n", "threads", "queries/s", "p50 us", "p99 us", "lost");
        for (int n : threadCounts) {
            Result r = run(target, query, n, seconds);
            System.out.printf("%-8d %10.0f %10.1f %10.1f %10d%n", n, r.qps, r.p50 / 1000.0, r.p99 / 1000.0, r.lost);
        }
        if (server != null) {
            server.close();
        }
    }

    record Result(double qps, long p50, long p99, long lost) {
    }

    static Result run(InetSocketAddress target, byte[] query, int threads, int seconds) throws Exception {
        long[][] samples = new long[threads][];
        int[] counts = new int[threads];
        long[] lost = new long[threads];
        CountDownLatch done = new CountDownLatch(threads);
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        for (int t = 0; t < threads; t++) {
            int me = t;
            Thread th = new Thread(() -> {
                long[] lat = new long[1 << 17];
                int n = 0;
                try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                    s.setSoTimeout(1000);
                    byte[] q = query.clone();
                    DatagramPacket in = new DatagramPacket(new byte[1500], 1500);
                    int id = me << 12;
                    while (System.nanoTime() < end) {
                        id = (id + 1) & 0xffff;
                        q[0] = (byte) (id >> 8);
                        q[1] = (byte) id;
                        long t0 = System.nanoTime();
                        s.send(new DatagramPacket(q, q.length, target));
                        try {
                            do {
                                s.receive(in);
                            } while (((in.getData()[0] & 0xff) << 8 | (in.getData()[1] & 0xff)) != id);
                        } catch (java.net.SocketTimeoutException e) {
                            lost[me]++;
                            continue;
                        }
                        if (n < lat.length) {
                            lat[n++] = System.nanoTime() - t0;
                        }
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                } finally {
                    samples[me] = lat;
                    counts[me] = n;
                    done.countDown();
                }
            });
            th.setDaemon(true);
            th.start();
        }
        done.await();
        int total = Arrays.stream(counts).sum();
        long[] all = new long[total];
        int at = 0;
        for (int t = 0; t < threads; t++) {
            System.arraycopy(samples[t], 0, all, at, counts[t]);
            at += counts[t];
        }
        Arrays.sort(all);
        return new Result(total / (double) seconds, total == 0 ? 0 : all[total / 2],
                total == 0 ? 0 : all[Math.min(total - 1, (int) (total * 0.99))], Arrays.stream(lost).sum());
    }
}
