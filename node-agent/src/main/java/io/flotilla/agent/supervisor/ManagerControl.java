package io.flotilla.agent.supervisor;

import java.io.IOException;
import java.util.Optional;

/** What the API endpoint needs of the supervisor of this host's manager services. */
public interface ManagerControl {

    /** Starts every manager service (adopting those already running) and keeps them running. */
    void start(Launch launch) throws IOException;

    /** Stops every manager service (TERM, 10 s, KILL) and forgets the launch. */
    void stop();

    /** Removes the manager services' data (a node that leaves starts afresh). */
    void wipeData();

    /** How the services run now, if they do. */
    Optional<Launch> launch();
}
