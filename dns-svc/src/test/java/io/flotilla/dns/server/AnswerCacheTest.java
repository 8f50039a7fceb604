package io.flotilla.dns.server;

import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.dns.view.NameTable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static io.flotilla.dns.view.Fixtures.event;
import static io.flotilla.dns.view.Fixtures.ip;
import static io.flotilla.dns.view.Fixtures.obj;
import static io.flotilla.dns.view.Fixtures.running;
import static io.flotilla.dns.view.Fixtures.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Repeated UDP queries are answered from rendered responses: they must give what a fresh lookup gives,
 * with the query's id, and a change to the table must show in the very next answer.
 */
class AnswerCacheTest {
    private static final InetAddress BUSYBOX = InetAddress.getLoopbackAddress();

    private NameTable table;
    private DnsResponder responder;
    private int forwards;

    @BeforeEach
    void setUp() {
        table = DnsServerTest.serverTable();
        forwards = 0;
        Upstream upstream = (Message q, boolean tcp) -> {
            forwards++;
            Message r = new Message(q.getHeader().getID());
            r.getHeader().setFlag(Flags.QR);
            r.addRecord(q.getQuestion(), Section.QUESTION);
            r.getHeader().setRcode(Rcode.NXDOMAIN);
            return (CompletionStage<Message>) CompletableFuture.completedFuture(r);
        };
        responder = new DnsResponder(table, upstream, 1, 16);
    }

    private Message ask(String name, int type, int id, InetAddress from) throws Exception {
        Message q = Message.newQuery(Record.newRecord(Name.fromString(name, Name.root), type, DClass.IN));
        q.getHeader().setID(id);
        byte[] wire = q.toWire();
        byte[] out = responder.handle(wire, wire.length, from, false).toCompletableFuture().get();
        assertNotNull(out);
        Message m = new Message(out);
        assertEquals(id, m.getHeader().getID());
        return m;
    }

    private static List<String> addresses(Message m) {
        return m.getSection(Section.ANSWER).stream().filter(r -> r instanceof ARecord)
                .map(r -> ((ARecord) r).getAddress().getHostAddress()).toList();
    }

    @Test
    void aRepeatedQueryIsAnsweredFromTheCacheWithItsOwnId() throws Exception {
        Message first = ask("nodejs", Type.A, 1, BUSYBOX);
        Message again = ask("nodejs", Type.A, 2, BUSYBOX);
        assertEquals(List.of("172.32.0.2"), addresses(first));
        assertEquals(List.of("172.32.0.2"), addresses(again));
        assertEquals(1, responder.cached.sum());
        for (int flag : new int[]{Flags.QR, Flags.AA, Flags.RD, Flags.RA, Flags.TC}) {
            assertEquals(first.getHeader().getFlag(flag), again.getHeader().getFlag(flag));
        }
        assertEquals(first.getQuestion(), again.getQuestion());
    }

    @Test
    void aTaskThatStopsDisappearsFromTheNextAnswer() throws Exception {
        ask("tasks.nodejs", Type.A, 1, BUSYBOX);
        ask("tasks.nodejs", Type.A, 2, BUSYBOX);
        assertEquals(1, responder.cached.sum());
        table.apply(event(11, Op.OP_UPDATE, obj(task("t1", "s1", "nodejs", 1, TaskState.TASK_RUNNING,
                TaskState.TASK_SHUTDOWN, "n1=172.32.0.3/24"))));
        assertEquals(List.of("172.32.0.4"), addresses(ask("tasks.nodejs", Type.A, 3, BUSYBOX)));
        assertEquals(1, responder.cached.sum());
        table.apply(event(12, Op.OP_UPDATE, obj(running("t3", "s1", "nodejs", 3, "n1=172.32.0.5/24"))));
        assertEquals(Set.of("172.32.0.4", "172.32.0.5"), Set.copyOf(addresses(ask("tasks.nodejs", Type.A, 4, BUSYBOX))));
    }

    @Test
    void eventsThatChangeNoAnswerLeaveTheCachedAnswersInPlace() throws Exception {
        ask("tasks.nodejs", Type.A, 1, BUSYBOX);
        long index = 10;
        // a service of its own without networks starts a task: every state up to running, then a status message
        for (TaskState s : new TaskState[]{TaskState.TASK_NEW, TaskState.TASK_PENDING, TaskState.TASK_ASSIGNED,
                TaskState.TASK_PREPARING, TaskState.TASK_STARTING, TaskState.TASK_RUNNING}) {
            table.apply(event(++index, Op.OP_UPDATE, obj(task("p1", "s9", "plain", 1, s, TaskState.TASK_RUNNING))));
        }
        // a running task's status is rewritten (e.g. a new timestamp or message) without a change of address
        table.apply(event(++index, Op.OP_UPDATE, obj(task("t1", "s1", "nodejs", 1, TaskState.TASK_RUNNING,
                TaskState.TASK_RUNNING, "n1=172.32.0.3/24").toBuilder().setStatus(
                io.flotilla.contracts.v1.TaskStatus.newBuilder().setState(TaskState.TASK_RUNNING)
                        .setTimestampMs(1_700_000_000_000L).setMessage("started")).build())));
        assertEquals(Set.of("172.32.0.3", "172.32.0.4"), Set.copyOf(addresses(ask("tasks.nodejs", Type.A, 2, BUSYBOX))));
        assertEquals(1, responder.cached.sum(), "answered from the cache: nothing it depends on changed");
        // the task without networks stops: still nothing to drop; t1 stops: gone from the next answer
        table.apply(event(++index, Op.OP_UPDATE, obj(task("p1", "s9", "plain", 1, TaskState.TASK_SHUTDOWN,
                TaskState.TASK_SHUTDOWN))));
        addresses(ask("tasks.nodejs", Type.A, 3, BUSYBOX));
        assertEquals(2, responder.cached.sum());
        table.apply(event(++index, Op.OP_UPDATE, obj(task("t1", "s1", "nodejs", 1, TaskState.TASK_SHUTDOWN,
                TaskState.TASK_SHUTDOWN, "n1=172.32.0.3/24"))));
        assertEquals(List.of("172.32.0.4"), addresses(ask("tasks.nodejs", Type.A, 4, BUSYBOX)));
        assertEquals(2, responder.cached.sum());
    }

    @Test
    void cachedAnswersStillRotateTheAddresses() throws Exception {
        Set<String> firsts = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            List<String> a = addresses(ask("tasks.nodejs", Type.A, 100 + i, BUSYBOX));
            assertEquals(Set.of("172.32.0.3", "172.32.0.4"), Set.copyOf(a));
            firsts.add(a.get(0));
        }
        assertEquals(Set.of("172.32.0.3", "172.32.0.4"), firsts);
        assertEquals(5, responder.cached.sum());
    }

    @Test
    void answersAreScopedBySourceEvenWhenCached() throws Exception {
        ask("nodejs", Type.A, 1, BUSYBOX);
        ask("nodejs", Type.A, 2, BUSYBOX);
        // another source asking the same bytes is no task: the name goes upstream
        Message other = ask("nodejs", Type.A, 3, ip("127.0.0.2"));
        assertEquals(Rcode.NXDOMAIN, other.getRcode());
        assertEquals(1, forwards);
        // the source's task goes away: the cached answer is not served to whoever gets the address next
        table.removeSources("b1");
        assertEquals(Rcode.NXDOMAIN, ask("nodejs", Type.A, 4, BUSYBOX).getRcode());
        assertEquals(2, forwards);
    }

    @Test
    void anIpv6SourceIsCachedUnderItsOwnAddress() throws Exception {
        InetAddress v6 = ip("fd00::5");
        table.putSources("b1", List.of(BUSYBOX, v6));
        assertEquals(List.of("172.32.0.2"), addresses(ask("nodejs", Type.A, 1, v6)));
        assertEquals(List.of("172.32.0.2"), addresses(ask("nodejs", Type.A, 2, v6)));
        assertEquals(1, responder.cached.sum());
        // a neighbouring address is no task's: not served from the entry of fd00::5
        assertEquals(Rcode.NXDOMAIN, ask("nodejs", Type.A, 3, ip("fd00::6")).getRcode());
        assertEquals(1, responder.cached.sum());
    }

    @Test
    void aLongerQueryWithTheSameStartIsNotTheCachedOne() throws Exception {
        ask("nodejs", Type.A, 1, BUSYBOX);
        ask("nodejs", Type.A, 2, BUSYBOX);
        Message q = Message.newQuery(Record.newRecord(Name.fromString("nodejs", Name.root), Type.A, DClass.IN));
        q.getHeader().setID(3);
        byte[] wire = q.toWire();
        byte[] longer = java.util.Arrays.copyOf(wire, wire.length + 1); // a stray byte after the question
        byte[] out = responder.handle(longer, longer.length, BUSYBOX, false).toCompletableFuture().get();
        assertEquals(1, responder.cached.sum());
        assertNotNull(out);
        assertEquals(3, new Message(out).getHeader().getID());
    }

    @Test
    void manyDistinctQueriesKeepTheCacheBounded() throws Exception {
        int id = 0;
        for (int payload = 512; payload < 712; payload++) {
            for (int mask = 0; mask < 64; mask++) { // "nodejs" in every mix of cases (the key is the bytes)
                StringBuilder name = new StringBuilder();
                for (int i = 0; i < 6; i++) {
                    char c = "nodejs".charAt(i);
                    name.append((mask & (1 << i)) != 0 ? Character.toUpperCase(c) : c);
                }
                Message q = Message.newQuery(Record.newRecord(Name.fromString(name.toString(), Name.root), Type.A,
                        DClass.IN));
                q.addRecord(new OPTRecord(payload, 0, 0), Section.ADDITIONAL);
                q.getHeader().setID(++id & 0xffff);
                byte[] wire = q.toWire();
                Message m = new Message(responder.handle(wire, wire.length, BUSYBOX, false).toCompletableFuture().get());
                assertEquals(List.of("172.32.0.2"), addresses(m));
            }
        }
        assertTrue(responder.cacheSize() <= 8192, "entries: " + responder.cacheSize());
        assertEquals(List.of("172.32.0.2"), addresses(ask("nodejs", Type.A, 1, BUSYBOX)));
    }

    @Test
    void forwardedAndUnknownAnswersAreNotCached() throws Exception {
        ask("example.org", Type.A, 1, BUSYBOX);
        ask("example.org", Type.A, 2, BUSYBOX);
        assertEquals(2, forwards);
        assertEquals(0, responder.cached.sum());
    }
}
