package io.flotilla.agent.swarm;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.file.Path;
import java.security.SecureRandom;

/** Makes the one SwarmState of this agent, from FLOTILLA_DATA. */
@ApplicationScoped
public class SwarmStateProducer {

    private static final String ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
    private static final SecureRandom RANDOM = new SecureRandom();

    @Produces
    @Singleton
    SwarmState swarmState(@ConfigProperty(name = "flotilla.data") String dataDir) {
        return new SwarmState(Path.of(dataDir), newId());
    }

    /** A Swarm-style id: 25 lower-case base-36 characters. */
    public static String newId() {
        char[] c = new char[25];
        for (int i = 0; i < c.length; i++) {
            c[i] = ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length()));
        }
        return new String(c);
    }
}
