package io.flotilla.dns.server;

import io.flotilla.dns.view.NameTable;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One query in, one response out (or nothing): the table's names for the asking task, everything else
 * upstream. Never throws; a packet that is not a query is dropped, an undecodable query gets FORMERR,
 * an upstream failure or timeout SERVFAIL. UDP responses are cut to the client's size (512, or its EDNS
 * payload size) with TC set, so the client retries over TCP.
 *
 * <p>The table's UDP answers are kept in wire form, keyed by the source address and the query's bytes
 * after its id (a response is a function of those, the table and the rotation of multi-address answers):
 * the same query again is answered by copying the bytes and setting the id, without parsing or rendering.
 * An entry carries the table's generation it was computed at and is served only while that is current,
 * so any change to the table (a task that stops, a new service, a source the agent reports) takes effect
 * with the next query.
 */
public final class DnsResponder {
    private static final int MAX_UDP = 4096;
    private static final int CACHE_ENTRIES = 8192;
    private static final long CACHE_BYTES = 4L << 20;  // about: keys and renderings, whatever their sizes
    private static final int MAX_ROTATIONS = 16;      // answers with more addresses are rendered each time

    private final NameTable table;
    private final Upstream upstream;
    private final long ttl;
    private final Semaphore forwardSlots;
    private final AtomicInteger rotation = new AtomicInteger();
    private final ConcurrentHashMap<CacheKey, Cached> cache = new ConcurrentHashMap<>();
    private final AtomicLong cacheBytes = new AtomicLong();

    public final LongAdder local = new LongAdder();
    public final LongAdder forwarded = new LongAdder();
    public final LongAdder servfail = new LongAdder();
    public final LongAdder malformed = new LongAdder();
    public final LongAdder cached = new LongAdder();

    public DnsResponder(NameTable table, Upstream upstream, long ttlSeconds, int maxForwardsInFlight) {
        this.table = table;
        this.upstream = upstream;
        this.ttl = ttlSeconds;
        this.forwardSlots = new Semaphore(maxForwardsInFlight);
    }

    /** The response's wire form; completes with null when the packet gets no answer. */
    public CompletionStage<byte[]> handle(byte[] packet, int length, InetAddress source, boolean tcp) {
        try {
            if (!tcp) {
                byte[] hit = fromCache(packet, length, source);
                if (hit != null) {
                    return CompletableFuture.completedFuture(hit);
                }
            }
            return handleUnchecked(packet, length, source, tcp);
        } catch (RuntimeException e) {
            malformed.increment();
            return CompletableFuture.completedFuture(formErr(packet, length));
        }
    }

    private CompletionStage<byte[]> handleUnchecked(byte[] packet, int length, InetAddress source, boolean tcp) {
        if (length < Header.LENGTH) {
            malformed.increment();
            return CompletableFuture.completedFuture(null);
        }
        Message query;
        try {
            byte[] copy = length == packet.length ? packet : java.util.Arrays.copyOf(packet, length);
            query = new Message(copy);
        } catch (IOException | RuntimeException e) {
            malformed.increment();
            return CompletableFuture.completedFuture(formErr(packet, length));
        }
        Header h = query.getHeader();
        if (h.getFlag(Flags.QR)) {
            return CompletableFuture.completedFuture(null); // a response: never answer one
        }
        int max = tcp ? 65535 : maxUdp(query);
        if (h.getOpcode() != Opcode.QUERY) {
            return CompletableFuture.completedFuture(reply(query, Rcode.NOTIMP).toWire(max));
        }
        Record question = query.getQuestion();
        if (question == null || h.getCount(Section.QUESTION) != 1) {
            return CompletableFuture.completedFuture(reply(query, Rcode.FORMERR).toWire(max));
        }
        if (question.getDClass() != DClass.IN) {
            return forward(query, tcp, max);
        }
        long generation = table.generation(); // before the lookup: a change after it makes the entry stale
        int rot = rotation.getAndIncrement();
        Local answer = answerLocally(query, question, source, rot);
        if (answer == null) {
            return forward(query, tcp, max);
        }
        local.increment();
        byte[] wire = answer.message().toWire(max);
        if (!tcp && answer.rotations() <= MAX_ROTATIONS) {
            byte[][] variants = new byte[answer.rotations()][];
            for (int i = 0; i < variants.length; i++) {
                int r = Math.floorMod(rot, variants.length);
                Local v = i == r ? answer : answerLocally(query, question, source, i);
                if (v == null || v.rotations() != variants.length) {
                    return CompletableFuture.completedFuture(wire); // the table changed meanwhile
                }
                variants[i] = i == r ? wire : v.message().toWire(max);
            }
            remember(new CacheKey(packet, length, source), new Cached(generation, variants));
        }
        return CompletableFuture.completedFuture(wire);
    }

    /** The cached response to these query bytes from this source, with the query's id; null on a miss. */
    private byte[] fromCache(byte[] packet, int length, InetAddress source) {
        byte[] shared = cachedAnswer(packet, length, source);
        if (shared == null) {
            return null;
        }
        byte[] out = shared.clone();
        out[0] = packet[0];
        out[1] = packet[1];
        return out;
    }

    /**
     * The rendered UDP response to these query bytes from this source while the table is unchanged, or null:
     * shared (the caller copies it and sets the query's id in the copy). The lookup key refers to the
     * received bytes instead of copying them.
     */
    public byte[] cachedAnswer(byte[] packet, int length, InetAddress source) {
        if (length <= Header.LENGTH) {
            return null;
        }
        Cached c = cache.get(new Probe(packet, length, source));
        if (c == null || c.generation() != table.generation()) {
            return null;
        }
        byte[][] v = c.variants();
        local.increment();
        cached.increment();
        return v.length == 1 ? v[0] : v[Math.floorMod(rotation.getAndIncrement(), v.length)];
    }

    private void remember(CacheKey key, Cached value) {
        long size = 96L + key.bytes.length;
        for (byte[] v : value.variants()) {
            size += 16 + v.length;
        }
        if (cache.size() >= CACHE_ENTRIES || cacheBytes.addAndGet(size) > CACHE_BYTES) {
            // simple bound: a burst of distinct names or sources (or large answers) starts the cache afresh
            cache.clear();
            cacheBytes.set(size);
        }
        cache.put(key, value);
    }

    public int cacheSize() {
        return cache.size();
    }

    /** Source address and the query's bytes after the 2-byte id. */
    private static final class CacheKey {
        private final byte[] bytes;
        private final int hash;

        CacheKey(byte[] packet, int length, InetAddress source) {
            byte[] a = source.getAddress();
            bytes = new byte[a.length + length - 2];
            System.arraycopy(a, 0, bytes, 0, a.length);
            System.arraycopy(packet, 2, bytes, a.length, length - 2);
            hash = Arrays.hashCode(bytes);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof CacheKey k && k.hash == hash && Arrays.equals(k.bytes, bytes)
                    || o instanceof Probe p && p.equals(this);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /**
     * A lookup key over the received bytes, without copying them: equal to the CacheKey of the same source
     * and query bytes, with the same hash (Arrays.hashCode of the address followed by the bytes after the id).
     */
    private static final class Probe {
        private final byte[] packet;
        private final int length;
        private final int v4;        // the IPv4 source, when addr is null
        private final byte[] addr;   // the IPv6 source
        private final int hash;

        Probe(byte[] packet, int length, InetAddress source) {
            this.packet = packet;
            this.length = length;
            int h = 1;
            if (source instanceof Inet4Address) {
                v4 = source.hashCode(); // the address, big-endian
                addr = null;
                for (int shift = 24; shift >= 0; shift -= 8) {
                    h = 31 * h + (byte) (v4 >>> shift);
                }
            } else {
                v4 = 0;
                addr = source.getAddress();
                for (byte b : addr) {
                    h = 31 * h + b;
                }
            }
            for (int i = 2; i < length; i++) {
                h = 31 * h + packet[i];
            }
            hash = h;
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof CacheKey k) || k.hash != hash) {
                return false;
            }
            int a;
            if (addr == null) {
                if (k.bytes.length != 4 + length - 2) {
                    return false;
                }
                for (int i = 0; i < 4; i++) {
                    if (k.bytes[i] != (byte) (v4 >>> (24 - 8 * i))) {
                        return false;
                    }
                }
                a = 4;
            } else {
                if (k.bytes.length != addr.length + length - 2
                        || !Arrays.equals(k.bytes, 0, addr.length, addr, 0, addr.length)) {
                    return false;
                }
                a = addr.length;
            }
            return Arrays.equals(k.bytes, a, k.bytes.length, packet, 2, length);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** Rendered responses (one per rotation of the addresses) as of a table generation. */
    private record Cached(long generation, byte[][] variants) {
    }

    /** A local answer and how many rotations of it there are (1 unless it lists several addresses). */
    private record Local(Message message, int rotations) {
    }

    private CompletionStage<byte[]> forward(Message query, boolean tcp, int max) {
        if (!forwardSlots.tryAcquire()) {
            servfail.increment();
            return CompletableFuture.completedFuture(reply(query, Rcode.SERVFAIL).toWire(max));
        }
        forwarded.increment();
        CompletionStage<Message> stage;
        try {
            stage = upstream.forward(query, tcp);
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        return stage.handle((response, error) -> {
            forwardSlots.release();
            if (error != null || response == null) {
                servfail.increment();
                return reply(query, Rcode.SERVFAIL).toWire(max);
            }
            response.getHeader().setID(query.getHeader().getID());
            OPTRecord opt = response.getOPT();
            if (opt != null && query.getOPT() == null) {
                response.removeRecord(opt, Section.ADDITIONAL);
            }
            return response.toWire(max);
        });
    }

    /**
     * The table's answer, or null when the name is not the table's (it goes upstream); several addresses
     * are listed starting at the rotation's one.
     */
    private Local answerLocally(Message query, Record question, InetAddress source, int rotation) {
        Name qname = question.getName();
        int type = question.getType();
        String name = qname.toString(true);
        if (type == Type.PTR) {
            Optional<InetAddress> addr = fromReverse(name);
            if (addr.isEmpty()) {
                return null;
            }
            Optional<String> target = table.reverse(source, addr.get());
            if (target.isEmpty()) {
                return null;
            }
            Message m = reply(query, Rcode.NOERROR);
            m.addRecord(new PTRRecord(qname, DClass.IN, ttl, absolute(target.get())), Section.ANSWER);
            return new Local(m, 1);
        }
        if (type == Type.SRV) {
            Optional<List<NameTable.SrvTarget>> targets = table.srv(source, name);
            if (targets.isEmpty()) {
                return null;
            }
            Message m = reply(query, Rcode.NOERROR);
            for (NameTable.SrvTarget t : targets.get()) {
                Name target = absolute(t.target());
                m.addRecord(new SRVRecord(qname, DClass.IN, ttl, 0, 0, t.port(), target), Section.ANSWER);
                m.addRecord(address(target, t.address()), Section.ADDITIONAL);
            }
            return new Local(m, 1);
        }
        Optional<List<InetAddress>> found = table.resolve(source, name);
        if (found.isEmpty()) {
            return null;
        }
        Message m = reply(query, Rcode.NOERROR);
        List<InetAddress> addrs = rotate(found.get(), rotation);
        for (InetAddress a : addrs) {
            boolean v4 = a instanceof Inet4Address;
            if ((type == Type.A && v4) || (type == Type.AAAA && a instanceof Inet6Address) || type == Type.ANY) {
                m.addRecord(address(qname, a), Section.ANSWER);
            }
        }
        return new Local(m, Math.max(1, addrs.size())); // other types of a known name: NOERROR without records
    }

    private Record address(Name name, InetAddress a) {
        return a instanceof Inet4Address ? new ARecord(name, DClass.IN, ttl, a) : new AAAARecord(name, DClass.IN, ttl, a);
    }

    private static List<InetAddress> rotate(List<InetAddress> addrs, int rotation) {
        if (addrs.size() < 2) {
            return addrs;
        }
        List<InetAddress> out = new ArrayList<>(addrs);
        Collections.rotate(out, Math.floorMod(rotation, out.size()));
        return out;
    }

    private static Name absolute(String name) {
        try {
            return Name.fromString(name, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** A response to the query with its question, RD copied, RA set, authoritative for the table's names. */
    private static Message reply(Message query, int rcode) {
        Message m = new Message(query.getHeader().getID());
        Header h = m.getHeader();
        h.setFlag(Flags.QR);
        h.setFlag(Flags.RA);
        if (query.getHeader().getFlag(Flags.RD)) {
            h.setFlag(Flags.RD);
        }
        h.setOpcode(query.getHeader().getOpcode());
        h.setRcode(rcode);
        Record q = query.getQuestion();
        if (q != null && query.getHeader().getCount(Section.QUESTION) == 1) {
            m.addRecord(q, Section.QUESTION);
        }
        if (rcode == Rcode.NOERROR) {
            h.setFlag(Flags.AA);
        }
        if (query.getOPT() != null) {
            m.addRecord(new OPTRecord(MAX_UDP, 0, 0), Section.ADDITIONAL);
        }
        return m;
    }

    /** FORMERR with the id of a query whose header could be read; null (drop) otherwise or for a response. */
    private byte[] formErr(byte[] packet, int length) {
        if (length < Header.LENGTH) {
            return null;
        }
        try {
            Header h = new Header(java.util.Arrays.copyOf(packet, Header.LENGTH));
            if (h.getFlag(Flags.QR)) {
                return null;
            }
            Message m = new Message(h.getID());
            m.getHeader().setFlag(Flags.QR);
            m.getHeader().setOpcode(h.getOpcode() <= 15 ? h.getOpcode() : 0);
            m.getHeader().setRcode(Rcode.FORMERR);
            return m.toWire();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static int maxUdp(Message query) {
        OPTRecord opt = query.getOPT();
        return opt == null ? 512 : Math.max(512, Math.min(MAX_UDP, opt.getPayloadSize()));
    }

    /** The address of an in-addr.arpa / ip6.arpa name (without the trailing dot). */
    static Optional<InetAddress> fromReverse(String name) {
        String n = name.toLowerCase(java.util.Locale.ROOT);
        try {
            if (n.endsWith(".in-addr.arpa")) {
                String[] p = n.substring(0, n.length() - ".in-addr.arpa".length()).split("\\.");
                if (p.length != 4) {
                    return Optional.empty();
                }
                byte[] b = new byte[4];
                for (int i = 0; i < 4; i++) {
                    int v = Integer.parseInt(p[3 - i]);
                    if (v < 0 || v > 255) {
                        return Optional.empty();
                    }
                    b[i] = (byte) v;
                }
                return Optional.of(InetAddress.getByAddress(b));
            }
            if (n.endsWith(".ip6.arpa")) {
                String[] p = n.substring(0, n.length() - ".ip6.arpa".length()).split("\\.");
                if (p.length != 32) {
                    return Optional.empty();
                }
                byte[] b = new byte[16];
                for (int i = 0; i < 32; i++) {
                    if (p[31 - i].length() != 1) {
                        return Optional.empty();
                    }
                    int v = Character.digit(p[31 - i].charAt(0), 16);
                    if (v < 0) {
                        return Optional.empty();
                    }
                    b[i / 2] |= (byte) (i % 2 == 0 ? v << 4 : v);
                }
                return Optional.of(InetAddress.getByAddress(b));
            }
        } catch (NumberFormatException | UnknownHostException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
