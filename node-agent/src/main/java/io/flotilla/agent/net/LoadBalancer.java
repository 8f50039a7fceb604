package io.flotilla.agent.net;

import io.flotilla.contracts.v1.PublishedPortPlan;
import io.flotilla.contracts.v1.VipBackends;

import java.util.List;

/**
 * A load-balancer driver: the commands that make a namespace balance connections round-robin. Two
 * drivers sit behind it: {@link NftablesLoadBalancer} (nftables numgen maps; what runs on kernels without
 * IPVS) and {@link IpvsLoadBalancer} (the kernel's ip_vs, as Swarm). Each list of steps replaces
 * whatever the driver set up before in that namespace (a whole, atomic where the tool allows, rewrite).
 */
public interface LoadBalancer {

    String name();

    /**
     * Steps, run inside ingress_sbox, that balance every published port over its backends' ingress
     * addresses (target port), with the sandbox's own address as the source so replies come back through it.
     *
     * @param ingressInterface the sandbox's interface on the ingress network
     */
    List<Step> mesh(List<PublishedPortPlan> ports, String ingressInterface);

    /** Steps, run inside a task's namespace, that send traffic to each VIP to the VIP's backends in turn. */
    List<Step> vips(List<VipBackends> vips);

    /** Picks IPVS when the kernel has it ({@code /proc/net/ip_vs} exists), else nftables. */
    static LoadBalancer forKernel(boolean ipvsPresent) {
        return ipvsPresent ? new IpvsLoadBalancer() : new NftablesLoadBalancer();
    }
}
