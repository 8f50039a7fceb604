package io.flotilla.network.ipam;

import java.util.BitSet;

/** VXLAN ids: 4096 is the ingress network's; user overlays get the lowest free id from 4097 up. */
public final class VniAllocator {
    public static final int INGRESS_VNI = 4096;
    public static final int FIRST = 4097;
    public static final int LAST = (1 << 24) - 1;

    private final BitSet used = new BitSet();
    private final int first;
    private final int last;

    public VniAllocator() {
        this(FIRST, LAST);
    }

    public VniAllocator(int first, int last) {
        this.first = first;
        this.last = last;
    }

    public boolean isAllocated(int vni) {
        return used.get(vni);
    }

    /** Claims a given id (an existing network's, or the ingress one); false if taken. */
    public boolean claim(int vni) {
        if (vni <= 0 || vni > LAST || used.get(vni)) {
            return false;
        }
        used.set(vni);
        return true;
    }

    public int allocate() {
        int v = used.nextClearBit(first);
        if (v > last) {
            throw new IpamException("no VXLAN id left (" + first + "-" + last + " all in use)");
        }
        used.set(v);
        return v;
    }

    public void release(int vni) {
        if (vni > 0) {
            used.clear(vni);
        }
    }
}
