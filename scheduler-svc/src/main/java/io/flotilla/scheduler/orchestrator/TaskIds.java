package io.flotilla.scheduler.orchestrator;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Deterministic task ids: the id of the task that fills a slot is derived from the service, the slot
 * (or node, in global mode) and the task it follows. Two orchestrators that see the same slot state
 * therefore propose the same create, and the store accepts only one (ALREADY_EXISTS for the other):
 * a slot can never get two tasks from a race. 25 lower-case base-36 characters, like Swarm's ids.
 */
public final class TaskIds {
    private TaskIds() {
    }

    public static String next(String serviceId, String slotKey, String predecessorId) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] d = md.digest((serviceId + "\u0000" + slotKey + "\u0000" + predecessorId)
                    .getBytes(StandardCharsets.UTF_8));
            String s = new BigInteger(1, d).toString(36);
            while (s.length() < 25) {
                s = "0" + s;
            }
            return s.substring(s.length() - 25);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
