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
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One query in, one response out (or nothing): the table's names for the asking task, everything else
 * upstream. Never throws; a packet that is not a query is dropped, an undecodable query gets FORMERR,
 * an upstream failure or timeout SERVFAIL. UDP responses are cut to the client's size (512, or its EDNS
 * payload size) with TC set, so the client retries over TCP.
 */
public final class DnsResponder {
    private static final int MAX_UDP = 4096;

    private final NameTable table;
    private final Upstream upstream;
    private final long ttl;
    private final Semaphore forwardSlots;
    private final AtomicInteger rotation = new AtomicInteger();

    public final LongAdder local = new LongAdder();
    public final LongAdder forwarded = new LongAdder();
    public final LongAdder servfail = new LongAdder();
    public final LongAdder malformed = new LongAdder();

    public DnsResponder(NameTable table, Upstream upstream, long ttlSeconds, int maxForwardsInFlight) {
        this.table = table;
        this.upstream = upstream;
        this.ttl = ttlSeconds;
        this.forwardSlots = new Semaphore(maxForwardsInFlight);
    }

    /** The response's wire form; completes with null when the packet gets no answer. */
    public CompletionStage<byte[]> handle(byte[] packet, int length, InetAddress source, boolean tcp) {
        try {
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
        Message answer = question.getDClass() == DClass.IN ? answerLocally(query, question, source) : null;
        if (answer != null) {
            local.increment();
            return CompletableFuture.completedFuture(answer.toWire(max));
        }
        return forward(query, tcp, max);
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

    /** The table's answer, or null when the name is not the table's (it goes upstream). */
    private Message answerLocally(Message query, Record question, InetAddress source) {
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
            return m;
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
            return m;
        }
        Optional<List<InetAddress>> found = table.resolve(source, name);
        if (found.isEmpty()) {
            return null;
        }
        Message m = reply(query, Rcode.NOERROR);
        List<InetAddress> addrs = rotate(found.get());
        for (InetAddress a : addrs) {
            boolean v4 = a instanceof Inet4Address;
            if ((type == Type.A && v4) || (type == Type.AAAA && a instanceof Inet6Address) || type == Type.ANY) {
                m.addRecord(address(qname, a), Section.ANSWER);
            }
        }
        return m; // other types of a known name: NOERROR without records
    }

    private Record address(Name name, InetAddress a) {
        return a instanceof Inet4Address ? new ARecord(name, DClass.IN, ttl, a) : new AAAARecord(name, DClass.IN, ttl, a);
    }

    private List<InetAddress> rotate(List<InetAddress> addrs) {
        if (addrs.size() < 2) {
            return addrs;
        }
        List<InetAddress> out = new ArrayList<>(addrs);
        Collections.rotate(out, Math.floorMod(rotation.getAndIncrement(), out.size()));
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
