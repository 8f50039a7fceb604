package io.flotilla.scheduler.orchestrator;

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

    private static final char[] DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    /** The last 25 base-36 digits (zero-padded) of the SHA-256 of service, slot key and predecessor. */
    public static String next(String serviceId, String slotKey, String predecessorId) {
        byte[] d = SHA256.get().digest((serviceId + "\u0000" + slotKey + "\u0000" + predecessorId)
                .getBytes(StandardCharsets.UTF_8));
        // the digest as a big-endian number in 32-bit words, divided by 36 once per digit, lowest digit first
        long[] words = new long[d.length / 4];
        for (int i = 0; i < words.length; i++) {
            words[i] = (d[4 * i] & 0xffL) << 24 | (d[4 * i + 1] & 0xffL) << 16 | (d[4 * i + 2] & 0xffL) << 8 | d[4 * i + 3] & 0xffL;
        }
        char[] out = new char[25];
        for (int digit = 24; digit >= 0; digit--) {
            long rest = 0;
            for (int i = 0; i < words.length; i++) {
                long cur = rest << 32 | words[i];
                words[i] = cur / 36;
                rest = cur % 36;
            }
            out[digit] = DIGITS[(int) rest];
        }
        return new String(out);
    }
}
