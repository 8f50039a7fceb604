package io.flotilla.gateway.service;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TaskLogsTest {
    static final TaskLogs.Options PLAIN = new TaskLogs.Options(true, true, false, "all", "", false, true);

    static byte[] frames(Object... streamAndText) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < streamAndText.length; i += 2) {
            TaskLogs.writeFrame(out, (Integer) streamAndText[i], ((String) streamAndText[i + 1]).getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    record Frame(int stream, String text) {
    }

    static List<Frame> parse(byte[] body) {
        ByteBuffer b = ByteBuffer.wrap(body);
        List<Frame> out = new ArrayList<>();
        while (b.remaining() > 0) {
            int stream = b.get();
            assertEquals(0, b.get());
            assertEquals(0, b.get());
            assertEquals(0, b.get());
            byte[] payload = new byte[b.getInt()];
            b.get(payload);
            out.add(new Frame(stream, new String(payload, StandardCharsets.UTF_8)));
        }
        return out;
    }

    static TaskLogs.Source source(String task, String addr) {
        return new TaskLogs.Source("node1", "svc1", task, addr, "c-" + task, false);
    }

    @Test
    void everyLineBecomesOneFrameWithTheTaskContext() throws IOException {
        Map<String, byte[]> byContainer = Map.of("c-t1", frames(1, "hello\nworld\n", 2, "oops\n"), "c-t2", frames(1, "from two\n"));
        TaskLogs logs = new TaskLogs((s, o) -> new ByteArrayInputStream(byContainer.get(s.containerId())));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        logs.write(List.of(source("t1", "10.0.0.1"), source("t2", "10.0.0.1")), PLAIN, out);
        String ctx = "com.docker.swarm.node.id=node1,com.docker.swarm.service.id=svc1,com.docker.swarm.task.id=";
        assertEquals(List.of(new Frame(1, ctx + "t1 hello\n"), new Frame(1, ctx + "t1 world\n"),
                new Frame(2, ctx + "t1 oops\n"), new Frame(1, ctx + "t2 from two\n")), parse(out.toByteArray()));
    }

    @Test
    void theTimestampComesBeforeTheContextAndAPartialLastLineIsEnded() throws IOException {
        TaskLogs logs = new TaskLogs((s, o) -> new ByteArrayInputStream(frames(1, "2026-01-01T00:00:00.000000000Z hi\n",
                1, "2026-01-01T00:00:01.000000000Z no newline")));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        logs.write(List.of(source("t1", "a")), new TaskLogs.Options(true, false, false, "", "", true, true), out);
        List<Frame> frames = parse(out.toByteArray());
        assertEquals("2026-01-01T00:00:00.000000000Z com.docker.swarm.node.id=node1,com.docker.swarm.service.id=svc1,"
                + "com.docker.swarm.task.id=t1 hi\n", frames.get(0).text());
        assertTrue(frames.get(1).text().endsWith(" no newline\n"));
    }

    @Test
    void anUnreachableNodeIsSkipped() throws IOException {
        TaskLogs logs = new TaskLogs((s, o) -> {
            if (s.nodeAddr().equals("gone")) throw new ConnectException("connect timed out");
            return new ByteArrayInputStream(frames(1, "alive\n"));
        });
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        logs.write(List.of(source("t1", "gone"), source("t2", "up")),
                new TaskLogs.Options(true, true, true, "", "", false, true), out);
        List<Frame> frames = parse(out.toByteArray());
        assertEquals(1, frames.size());
        assertTrue(frames.get(0).text().contains("task.id=t2 alive"));
    }

    @Test
    void theFetcherGivesUpQuicklyOnANodeThatIsNotThere() throws Exception {
        // a closed loopback port: refused at once; the connect timeout bounds the unroutable case
        java.net.ServerSocket s = new java.net.ServerSocket(0);
        int port = s.getLocalPort();
        s.close();
        NodeLogFetcher f = new NodeLogFetcher(port, 500, 1000);
        long t0 = System.nanoTime();
        try {
            f.open(source("t1", "127.0.0.1"), PLAIN);
            throw new AssertionError("no error");
        } catch (IOException expected) {
            assertTrue((System.nanoTime() - t0) / 1_000_000 < 1_500);
        }
    }

    @Test
    void theContainerQueryCarriesTheStreamsTailAndFollow() {
        assertEquals("stdout=1&stderr=0&follow=1&timestamps=0&tail=10",
                new TaskLogs.Options(true, false, true, "10", "", false, true).containerQuery());
    }
}
