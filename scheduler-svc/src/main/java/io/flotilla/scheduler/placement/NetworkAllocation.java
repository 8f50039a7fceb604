package io.flotilla.scheduler.placement;

import io.flotilla.contracts.v1.NetworkAttachment;
import io.flotilla.contracts.v1.PortConfig;
import io.flotilla.contracts.v1.PublishMode;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.Task;

/**
 * A task may be placed only once network-svc has allocated its network attachments (an address and a
 * MAC on each of its overlays, and on ingress when its service publishes ingress ports), as swarmkit's
 * allocator runs before its scheduler. Until then it stays pending; network-svc's write of the task
 * wakes the scheduler again.
 */
public final class NetworkAllocation {

    private NetworkAllocation() {
    }

    /** How many attachments the task needs: one per network of its spec, plus ingress for published ports. */
    public static int required(Task task, Service service) {
        int n = task.getSpec().getNetworksCount();
        if (service != null) {
            for (PortConfig p : service.getSpec().getEndpoint().getPortsList()) {
                if (p.getPublishMode() == PublishMode.PUBLISH_INGRESS) {
                    n++;
                    break;
                }
            }
        }
        return n;
    }

    public static boolean allocated(Task task, Service service) {
        int required = required(task, service);
        if (required == 0) {
            return true;
        }
        int done = 0;
        for (NetworkAttachment a : task.getNetworksList()) {
            if (!a.getNetworkId().isEmpty() && a.getAddressesCount() > 0) {
                done++;
            }
        }
        return done >= required;
    }
}
