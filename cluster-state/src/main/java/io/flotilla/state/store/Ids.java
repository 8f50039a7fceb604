package io.flotilla.state.store;

import java.security.SecureRandom;

/** Swarm-style object ids: 25 lower-case base-36 characters from a SecureRandom. */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();
    public static final int LENGTH = 25;

    private Ids() {
    }

    public static String newId() {
        char[] c = new char[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            c[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(c);
    }

    /** Ids given by callers (a node's own id, for instance): lower-case letters, digits, '-', '_', '.'; 1-64. */
    public static boolean isValid(String id) {
        if (id.isEmpty() || id.length() > 64) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char ch = id.charAt(i);
            if (!(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.')) {
                return false;
            }
        }
        return true;
    }
}
