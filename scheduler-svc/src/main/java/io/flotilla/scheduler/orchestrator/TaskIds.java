package io.flotilla.scheduler.orchestrator;

import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

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
    /** 36^5: the digest is divided by it, five base-36 digits at a time (a remainder below 2^26 keeps the dividend in a long). */
    private static final long CHUNK = 36L * 36 * 36 * 36 * 36;

    /** Per thread: the digest and buffers for its input and output. */
    private static final class Scratch {
        final MessageDigest sha256;
        byte[] input = new byte[128];
        final byte[] digest = new byte[32];
        final long[] words = new long[8];

        Scratch() {
            try {
                sha256 = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** The last 25 base-36 digits (zero-padded) of the SHA-256 of service, slot key and predecessor (UTF-8, NUL-separated). */
    public static String next(String serviceId, String slotKey, String predecessorId) {
        Scratch s = SCRATCH.get();
        int n = 0;
        n = put(s, n, serviceId);
        n = put(s, n, "\u0000");
        n = put(s, n, slotKey);
        n = put(s, n, "\u0000");
        n = put(s, n, predecessorId);
        s.sha256.update(s.input, 0, n);
        byte[] d = s.digest;
        try {
            s.sha256.digest(d, 0, d.length);
        } catch (DigestException e) {
            throw new IllegalStateException(e);
        }
        // the digest as a big-endian number in 32-bit words, divided by 36^5 once per five digits, lowest first
        long[] words = s.words;
        for (int i = 0; i < words.length; i++) {
            words[i] = (d[4 * i] & 0xffL) << 24 | (d[4 * i + 1] & 0xffL) << 16 | (d[4 * i + 2] & 0xffL) << 8 | d[4 * i + 3] & 0xffL;
        }
        char[] out = new char[25];
        for (int chunk = 4; chunk >= 0; chunk--) {
            long rest = 0;
            for (int i = 0; i < words.length; i++) {
                long cur = rest << 32 | words[i];
                words[i] = cur / CHUNK;
                rest = cur % CHUNK;
            }
            int r = (int) rest;
            for (int digit = chunk * 5 + 4; digit >= chunk * 5; digit--) {
                out[digit] = DIGITS[r % 36];
                r /= 36;
            }
        }
        return new String(out);
    }

    /** Appends the string's UTF-8 bytes to the thread's input buffer; returns the new length. */
    private static int put(Scratch s, int n, String text) {
        int len = text.length();
        if (s.input.length < n + 3 * len) {
            s.input = Arrays.copyOf(s.input, Math.max(2 * s.input.length, n + 3 * len));
        }
        byte[] in = s.input;
        for (int i = 0; i < len; i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                byte[] utf8 = text.substring(i).getBytes(StandardCharsets.UTF_8);
                if (in.length < n + utf8.length) {
                    in = s.input = Arrays.copyOf(in, n + utf8.length);
                }
                System.arraycopy(utf8, 0, in, n, utf8.length);
                return n + utf8.length;
            }
            in[n++] = (byte) c;
        }
        return n;
    }
}
