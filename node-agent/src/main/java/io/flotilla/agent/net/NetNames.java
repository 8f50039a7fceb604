package io.flotilla.agent.net;

/** The names and fixed addresses of the dataplane, as Swarm lays it out (DESIGN.md, "Dataplane on each host"). */
public final class NetNames {

    /** The routing mesh's namespace on every node. */
    public static final String INGRESS_SBOX = "ingress_sbox";
    /** The local bridge network every task container reaches the outside through. */
    public static final String GWBRIDGE = "docker_gwbridge";
    public static final String GWBRIDGE_SUBNET = "172.18.0.0/16";
    public static final String GWBRIDGE_GATEWAY = "172.18.0.1";
    /** ingress_sbox's address on docker_gwbridge: published ports are forwarded there. */
    public static final String SBOX_GW_ADDRESS = "172.18.0.2";
    public static final String SBOX_GW_MAC = "02:42:ac:12:00:02";
    /** MTU of every overlay interface (1500 less the VXLAN header). */
    public static final int OVERLAY_MTU = 1450;
    public static final int VXLAN_PORT = 4789;
    /** Where a container's resolver asks (Docker's embedded DNS address). */
    public static final String EMBEDDED_DNS = "127.0.0.11";

    private NetNames() {
    }

    /** {@code 1-<first 10 characters of the network id>}, as Docker names an overlay's namespace. */
    public static String overlayNamespace(String networkId) {
        return "1-" + networkId.substring(0, Math.min(10, networkId.length()));
    }

    /** True for a namespace name of the form {@link #overlayNamespace} makes. */
    public static boolean isOverlayNamespace(String name) {
        return name.startsWith("1-") && name.length() > 2 && name.length() <= 12;
    }

    /** The VXLAN device's name while it is made in the host namespace (before it moves into the overlay's). */
    public static String vxlanStaging(int vni) {
        return "vx-" + vni;
    }

    /**
     * The host end of a task's veth into an overlay (it then moves into the overlay namespace): unique per
     * task and attachment, at most 15 characters.
     */
    public static String taskVethOverlayEnd(String taskId, int index) {
        return "vt" + taskId.substring(0, Math.min(10, taskId.length())) + index;
    }

    /** The container end of that veth before it is renamed eth&lt;index&gt; in the container. */
    public static String taskVethContainerEnd(String taskId, int index) {
        return "vc" + taskId.substring(0, Math.min(10, taskId.length())) + index;
    }

    /** Strips a prefix length: "10.0.0.3/24" gives "10.0.0.3". */
    public static String bare(String cidr) {
        int slash = cidr.indexOf('/');
        return slash < 0 ? cidr : cidr.substring(0, slash);
    }
}
