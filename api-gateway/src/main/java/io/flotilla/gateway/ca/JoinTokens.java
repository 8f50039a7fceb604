package io.flotilla.gateway.ca;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.regex.Pattern;

/**
 * Join tokens in Swarm's form: {@code SWMTKN-1-<digest>-<secret>}, the digest the SHA-256 of the CA
 * certificate's DER in base 36, zero-padded to 50 characters (a joining node checks the CA it is
 * shown against it), the secret 25 random base-36 characters.
 */
public final class JoinTokens {
    public static final Pattern FORMAT = Pattern.compile("^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$");
    private static final String BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz";
    private static final SecureRandom RANDOM = new SecureRandom();

    private JoinTokens() {
    }

    public static String generate(String caCertPem) {
        return "SWMTKN-1-" + caDigest(caCertPem) + "-" + secret();
    }

    /** A new token for the same CA: same digest, fresh secret. */
    public static String rotate(String caCertPem) {
        return generate(caCertPem);
    }

    public static String caDigest(String caCertPem) {
        try {
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(ClusterCa.der(caCertPem));
            String s = new BigInteger(1, sha).toString(36);
            return "0".repeat(50 - s.length()) + s;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String secret() {
        StringBuilder b = new StringBuilder(25);
        for (int i = 0; i < 25; i++) {
            b.append(BASE36.charAt(RANDOM.nextInt(36)));
        }
        return b.toString();
    }
}
