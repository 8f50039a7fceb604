package io.flotilla.state.raft;

import org.jgroups.Address;
import org.jgroups.View;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.raft.NO_DUPES;

/**
 * jgroups-raft's NO_DUPES (a JOIN whose raft id is already in the view is refused), except for a JOIN
 * from the very member already in the view: on a loaded host a joiner's JOIN times out on its side while
 * the coordinator has admitted it, and the joiner sends it again. NO_DUPES refused that retry, the joiner
 * closed its channel and joined on a fresh one, refused again until the stale member was suspected and
 * removed, seconds later. GMS answers a JOIN from a member of the view with the view.
 */
public class RejoinTolerantNoDupes extends NO_DUPES {

    public RejoinTolerantNoDupes() {
        setId(ClassConfigurator.getProtocolId(NO_DUPES.class));
    }

    @Override
    protected boolean handleGmsHeader(GMS.GmsHeader hdr, Address sender) {
        byte type = hdr.getType();
        View v = view;
        if ((type == GMS.GmsHeader.JOIN_REQ || type == GMS.GmsHeader.JOIN_REQ_WITH_STATE_TRANSFER)
                && v != null && hdr.getMember() != null && v.containsMember(hdr.getMember())) {
            return true;
        }
        return super.handleGmsHeader(hdr, sender);
    }
}
