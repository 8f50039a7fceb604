package io.flotilla.agent.lab;

import org.junit.jupiter.api.Test;

import static io.flotilla.agent.lab.Lab.answers;
import static io.flotilla.agent.lab.Lab.await;
import static io.flotilla.agent.lab.Lab.awaitRunning;
import static io.flotilla.agent.lab.Lab.docker;
import static io.flotilla.agent.lab.Lab.ms;
import static io.flotilla.agent.lab.Lab.ok;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A swarm left by every node ({@code docker swarm leave --force}) and a new one initialised on the same hosts and
 * the same Kafka broker: the new swarm's services on a new overlay, published through the routing mesh, run and
 * answer. Seen broken before: the new swarm's events were not published (the topic's last index was the old
 * swarm's), network-svc took the old swarm's networks from the topic (its new network's tasks stayed pending), a
 * leaving manager's services were started again by a late role hint, and the old ingress's VXLAN device kept its
 * VNI from the new one. And, as in Swarm, a node that left has stopped its task containers and taken down its
 * swarm networks (they kept running before, beside their replacements elsewhere).
 */
class ReinitLabIT extends ThreeHostSwarm {

    @Test
    void aNewSwarmAfterEveryNodeLeftRunsAndPublishesItsServices() throws Exception {
        ok("swarm00", "network", "create", "-d", "overlay", "old-net");
        ok("swarm00", "service", "create", "--detach", "--replicas", "2", "--name", "old", "--network", "old-net",
                "--publish", "8080:8080", "kalise/nodejs-web-app:latest");
        awaitRunning("old", 2, 90);

        long t0 = System.nanoTime();
        for (String h : new String[]{"swarm02", "swarm01", "swarm00"}) {
            assertTrue(ok(h, "swarm", "leave", "--force").contains("Node left the swarm."));
        }
        // as in Swarm, a node that left runs none of the swarm's tasks and has none of its networks
        for (String h : new String[]{"swarm00", "swarm01", "swarm02"}) {
            await(h, out -> out.isBlank(), 30, "ps", "-q", "--filter", "label=com.docker.swarm.service.name=old");
            java.util.function.Predicate<String> noSwarmNetworks =
                    ns -> !ns.contains("ingress_sbox") && !ns.matches("(?s).*\\b1-[0-9a-z]{10}\\b.*");
            String netns = Lab.in(h, "ip", "netns", "list").out();
            for (long end = System.nanoTime() + 15_000_000_000L; !noSwarmNetworks.test(netns) && System.nanoTime() < end; ) {
                Thread.sleep(200);
                netns = Lab.in(h, "ip", "netns", "list").out();
            }
            assertTrue(noSwarmNetworks.test(netns), h + ": " + netns);
        }
        Lab.Result init = docker("swarm00", "swarm", "init", "--advertise-addr", "ens33");
        if (init.code() != 0) {
            assertTrue(answers("swarm00", 60, "node", "ls"), "the manager answers after swarm init: " + init.out());
        }
        String token = ok("swarm00", "swarm", "join-token", "-q", "worker").trim();
        ok("swarm01", "swarm", "join", "--token", token, "10.10.10.60:2377");
        ok("swarm02", "swarm", "join", "--token", token, "10.10.10.60:2377");
        await("swarm00", out -> out.split("Ready", -1).length - 1 == 3, 60, "node", "ls");
        System.out.printf("re-init: left, initialised and joined in %d ms%n", ms(t0));

        long tc = System.nanoTime();
        ok("swarm00", "network", "create", "-d", "overlay", "new-net");
        ok("swarm00", "service", "create", "--detach", "--replicas", "2", "--name", "new", "--network", "new-net",
                "--publish", "8081:8080", "kalise/nodejs-web-app:latest");
        awaitRunning("new", 2, 90);
        String from = RoutingMeshLabIT.awaitHello("10.10.10.61", 8081, 60);
        assertTrue(from.startsWith("10.255."), "answered through the new swarm's ingress: " + from);
        System.out.printf("re-init: service on a new overlay running and answering through the mesh in %d ms%n", ms(tc));
    }
}
