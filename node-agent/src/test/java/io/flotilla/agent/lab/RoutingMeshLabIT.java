package io.flotilla.agent.lab;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.flotilla.agent.lab.Lab.await;
import static io.flotilla.agent.lab.Lab.docker;
import static io.flotilla.agent.lab.Lab.in;
import static io.flotilla.agent.lab.Lab.ms;
import static io.flotilla.agent.lab.Lab.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 6 on the 3-host lab, from a user's side with the stock docker CLI: the walkthrough's published
 * service answers on every host's port 80 through the routing mesh (nftables here: no IPVS in this
 * kernel), two replicas alternate, ingress_sbox has the walkthrough's addresses; a user overlay carries
 * traffic between hosts to a task's address and to the service VIP. Timings are printed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RoutingMeshLabIT extends ThreeHostSwarm {

    private static final Pattern HELLO = Pattern.compile("Hello World! from ([0-9.]+)");
    private static final String[] HOSTS = {"10.10.10.60", "10.10.10.61", "10.10.10.62"};

    @Test
    @Order(1)
    void publishedPortAnswersOnEveryHostAndReplicasAlternate() throws Exception {
        long t0 = System.nanoTime();
        ok("swarm00", "service", "create", "--detach", "--replicas", "1", "--name", "nodejs", "--publish", "80:8080",
                "--constraint", "node.role==worker", "kalise/nodejs-web-app:latest");
        awaitRunning("nodejs", 1, 60);
        long running = ms(t0);
        for (String h : HOSTS) {
            String from = awaitHello(h, 80, 30);
            assertTrue(from.startsWith("10.255."), h + " answered from " + from);
        }
        System.out.printf("mesh: create -> running %d ms, -> answered on all 3 hosts %d ms%n", running, ms(t0));

        Lab.Result sbox = in("swarm01", "ip", "netns", "exec", "ingress_sbox", "ip", "-o", "-4", "addr");
        assertTrue(sbox.out().matches("(?s).*eth0\\s+inet 10\\.255\\.0\\.\\d+/16.*"), sbox.out());
        assertTrue(sbox.out().contains("eth1    inet 172.18.0.2/16"), sbox.out());
        Lab.Result netns = in("swarm01", "ip", "netns", "list");
        assertTrue(netns.out().matches("(?s).*\\b1-[0-9a-z]{10}\\b.*") && netns.out().contains("ingress_sbox"),
                netns.out());

        // docker network ls / inspect on a host: the swarm networks beside the local ones, the host's half
        String ls = ok("swarm01", "network", "ls");
        assertTrue(ls.matches("(?s).*ingress\\s+overlay\\s+swarm.*") && ls.matches("(?s).*docker_gwbridge\\s+bridge\\s+local.*"), ls);
        assertTrue(ok("swarm00", "network", "ls").matches("(?s).*ingress\\s+overlay\\s+swarm.*"));
        String inspect = ok("swarm01", "network", "inspect", "ingress", "--format",
                "{{range .Containers}}{{.Name}}={{.IPv4Address}} {{end}}|{{len .Peers}}|{{index .Options \"com.docker.network.driver.overlay.vxlanid_list\"}}");
        assertTrue(inspect.matches("(?s).*ingress-endpoint=10\\.255\\.0\\.\\d+/16.*\\|3\\|4096\\s*"), inspect);

        long ts = System.nanoTime();
        ok("swarm00", "service", "scale", "--detach", "nodejs=2");
        awaitRunning("nodejs", 2, 60);
        Set<String> seen = bothReplicas("10.10.10.60");
        System.out.printf("mesh: scale 1->2 -> both answering %d ms%n", ms(ts));
        assertEquals(2, seen.size(), "two replicas, answers from " + seen);
        // each host's balancer takes the new backend from its own plan: swarm01's may come a moment after swarm00's
        Set<String> seen01 = bothReplicas("10.10.10.61");
        System.out.printf("mesh: scale 1->2 -> both answering on swarm01 %d ms%n", ms(ts));
        assertEquals(seen, seen01, "the same two replicas behind swarm01's published port");
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            order.add(hello("10.10.10.61", 80));
        }
        for (int i = 2; i < order.size(); i++) {
            assertEquals(order.get(i - 2), order.get(i), "round-robin alternates: " + order);
        }
        assertTrue(!order.get(0).equals(order.get(1)), "round-robin alternates: " + order);
    }

    /** The replicas answering on a host's published port 80, asked 4 at a time until two answer (30 s at most). */
    private static Set<String> bothReplicas(String host) throws Exception {
        Set<String> seen = new LinkedHashSet<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (seen.size() < 2 && System.nanoTime() < deadline) {
            seen.clear();
            for (int i = 0; i < 4; i++) {
                seen.add(hello(host, 80));
            }
        }
        return seen;
    }

    @Test
    @Order(2)
    void overlayCarriesTaskAndVipTrafficAcrossHosts() throws Exception {
        ok("swarm00", "network", "create", "--driver=overlay", "--subnet=172.30.0.0/24", "--attachable", "internal");
        ok("swarm00", "service", "create", "--detach", "--replicas", "2", "--name", "web", "--network", "internal",
                "--constraint", "node.hostname==swarm01", "kalise/nodejs-web-app:latest");
        ok("swarm00", "service", "create", "--detach", "--name", "busybox", "--network", "internal",
                "--constraint", "node.hostname==swarm02", "busybox:latest", "sleep", "3000");
        awaitRunning("web", 2, 60);
        awaitRunning("busybox", 1, 60);
        String vip = ok("swarm00", "service", "inspect", "web", "--format",
                "{{range .Endpoint.VirtualIPs}}{{.Addr}} {{end}}").trim();
        assertTrue(vip.startsWith("172.30.0."), vip);
        vip = vip.substring(0, vip.indexOf('/'));
        String busybox = ok("swarm02", "ps", "-q", "--filter", "label=com.docker.swarm.service.name=busybox").trim();
        assertTrue(!busybox.isEmpty(), "busybox runs on swarm02");

        String ifs = ok("swarm02", "exec", busybox, "ip", "-o", "-4", "addr");
        assertTrue(ifs.matches("(?s).*eth0\\s+inet 172\\.30\\.0\\.\\d+/24.*"), ifs);
        assertTrue(ifs.matches("(?s).*eth1\\s+inet 172\\.18\\.0\\.\\d+/16.*"), ifs);

        String webTask = ok("swarm01", "ps", "-q", "--filter", "label=com.docker.swarm.service.name=web").trim()
                .split("\n")[0];
        String webIfs = ok("swarm01", "exec", webTask, "ip", "-o", "-4", "addr", "show", "dev", "eth0");
        Matcher m = Pattern.compile("inet (172\\.30\\.0\\.\\d+)/24").matcher(webIfs);
        assertTrue(m.find(), webIfs);
        String taskIp = m.group(1);

        String direct = wget("swarm02", busybox, taskIp + ":8080", 20);
        assertTrue(direct.contains("Hello World! from " + taskIp), direct);
        Set<String> viaVip = new LinkedHashSet<>();
        for (int i = 0; i < 4; i++) {
            String r = wget("swarm02", busybox, vip + ":8080", 20);
            Matcher h = HELLO.matcher(r);
            assertTrue(h.find(), r);
            viaVip.add(h.group(1));
        }
        assertEquals(2, viaVip.size(), "the VIP balances over both web tasks: " + viaVip);

        // not reachable from outside until published: --publish-add replaces the tasks onto ingress
        assertTrue(!reachable("10.10.10.60", 8090), "not published yet");
        long tp = System.nanoTime();
        ok("swarm00", "service", "update", "--detach", "--publish-add", "8090:8080", "web");
        String published = awaitHello("10.10.10.60", 8090, 60);
        System.out.printf("mesh: --publish-add -> answered %d ms%n", ms(tp));
        assertTrue(published.startsWith("10.255."), published);
        awaitRunning("web", 2, 60);

        // issue 7: the walkthrough's service discovery, answered by the node's dns-svc through 127.0.0.11
        try (FakeUpstreamDns upstream = FakeUpstreamDns.start("10.10.10.1", "external.example", "192.0.2.44")) {
            assertTrue(ok("swarm02", "exec", busybox, "cat", "/etc/resolv.conf").contains("nameserver 127.0.0.11"));
            String web = nslookup(busybox, "web");
            assertTrue(web.contains("Address: " + vip), web);
            String tasks = nslookup(busybox, "tasks.web");
            assertEquals(2, addresses(tasks).size(), tasks);
            assertTrue(addresses(tasks).stream().allMatch(a -> a.startsWith("172.30.0.")), tasks);
            assertTrue(HELLO.matcher(wget("swarm02", busybox, "web:8080", 20)).find());
            String external = nslookup(busybox, "external.example");
            assertTrue(external.contains("192.0.2.44"), "forwarded upstream: " + external);

            ok("swarm00", "network", "create", "--driver=overlay", "backend");
            ok("swarm00", "service", "create", "--detach", "--name", "hidden", "--network", "backend",
                    "busybox:latest", "sleep", "3000");
            awaitRunning("hidden", 1, 60);
            Lab.Result hidden = docker("swarm02", "exec", busybox, "nslookup", "hidden");
            assertTrue(hidden.code() != 0 || !hidden.out().matches("(?s).*Address: 10\\..*"),
                    "a service on another network does not resolve: " + hidden.out());

            ok("swarm00", "service", "scale", "--detach", "web=3");
            awaitRunning("web", 3, 60);
            long t0 = System.nanoTime();
            String three;
            do {
                three = nslookup(busybox, "tasks.web");
            } while (addresses(three).size() < 3 && ms(t0) < 10_000);
            System.out.printf("dns: third task in tasks.web %d ms after service ps showed it running%n", ms(t0));
            assertEquals(3, addresses(three).size(), three);
        }
    }

    /** busybox nslookup of a name that must resolve (given a few seconds: the node's dns-svc may be starting). */
    private static String nslookup(String container, String name) throws Exception {
        return await("swarm02", out -> out.contains("Name:"), 15, "exec", container, "nslookup", name);
    }

    /** The answer addresses of busybox nslookup's output (the server's own address left out). */
    private static Set<String> addresses(String nslookup) {
        Set<String> out = new LinkedHashSet<>();
        String answers = nslookup.contains("Name:") ? nslookup.substring(nslookup.indexOf("Name:")) : "";
        Matcher m = Pattern.compile("Address: ([0-9.]+)").matcher(answers);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    @Order(3)
    void hostModePublishesThePortOnlyWhereTheTaskRuns() throws Exception {
        ok("swarm00", "service", "create", "--detach", "--name", "hostweb", "--publish",
                "mode=host,target=8080,published=8082", "--constraint", "node.hostname==swarm01",
                "kalise/nodejs-web-app:latest");
        awaitRunning("hostweb", 1, 60);
        awaitHello("10.10.10.61", 8082, 30);
        assertTrue(!reachable("10.10.10.62", 8082) && !reachable("10.10.10.60", 8082), "only on swarm01");
        ok("swarm00", "service", "rm", "hostweb");
    }

    @Test
    @Order(4)
    void aCrashedHostLeavesTheBackendSets() throws Exception {
        String ps = ok("swarm00", "service", "ps", "nodejs", "--filter", "desired-state=running");
        String victim = ps.contains("swarm02") ? "swarm02" : "swarm01";
        long t0 = System.nanoTime();
        assertEquals(0, Lab.exec(List.of(Lab.lab(), "crash", victim), 60).code());
        int inARow = 0;
        while (inARow < 8 && ms(t0) < 15_000) {
            inARow = reachable("10.10.10.60", 80) ? inARow + 1 : 0;
        }
        System.out.printf("mesh: %s crashed -> 8 requests in a row answered %d ms%n", victim, ms(t0));
        assertEquals(8, inARow, "requests through the mesh stop going to the crashed host's task");
    }

    private static boolean reachable(String host, int port) {
        try {
            hello(host, port);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String wget(String host, String container, String target, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Lab.Result r;
        do {
            // (busybox-static's wget crashes with -T: the timeout comes from busybox's timeout applet)
            r = docker(host, "exec", container, "timeout", "3", "wget", "-q", "-O", "-", "http://" + target + "/");
            if (r.code() == 0) {
                return r.out();
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        fail("wget " + target + " from " + container + " on " + host + ": " + r.out());
        return null;
    }

    private static void awaitRunning(String service, int n, int seconds) throws Exception {
        Lab.awaitRunning(service, n, seconds);
    }

    static String awaitHello(String host, int port, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        IOException last = null;
        while (System.nanoTime() < deadline) {
            try {
                return hello(host, port);
            } catch (IOException e) {
                last = e;
                Thread.sleep(100);
            }
        }
        fail(host + ":" + port + " never answered: " + last);
        return null;
    }

    /** One request on a new connection (so each one is balanced anew); the address the answer names. */
    static String hello(String host, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 2000);
            s.setSoTimeout(3000);
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.0\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Matcher m = HELLO.matcher(body);
            if (!m.find()) {
                throw new IOException("unexpected answer: " + body);
            }
            return m.group(1);
        }
    }
}
