package io.flotilla.scheduler.orchestrator;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TaskIdsTest {

    /**
     * The ids a slot's tasks get never change between versions: during an upgrade two schedulers of
     * different versions must still propose the same create for a slot (the store keeps one). These are
     * the ids the first version (BigInteger.toString(36) of the SHA-256) gave.
     */
    @Test
    void idsAreTheSameAsTheFirstVersionGave() {
        assertEquals("lixasoo0kucbb12a6wv2v9u2t", TaskIds.next("svc-web", "1", ""));
        assertEquals("lrrfa2qj1uxx2i49gd0u2wxfy", TaskIds.next("svc-web", "2", "abc"));
        assertEquals("sd87k6i71875poozg3wui4f2m", TaskIds.next("x", "node:n1", "0123456789abcdefghijklmno"));
        assertEquals("1iz207q8y08bpk4ldwm0sz911", TaskIds.next("\u00e9", "", ""));
    }

    /** The first version's definition: the SHA-256 as a number, its last 25 base-36 digits, zero-padded. */
    private static String reference(String serviceId, String slotKey, String predecessorId) throws Exception {
        byte[] d = MessageDigest.getInstance("SHA-256").digest((serviceId + "\u0000" + slotKey + "\u0000" + predecessorId)
                .getBytes(StandardCharsets.UTF_8));
        String digits = new BigInteger(1, d).mod(BigInteger.valueOf(36).pow(25)).toString(36);
        return "0".repeat(25 - digits.length()) + digits;
    }

    @Test
    void idsOfLongAndNonAsciiInputsAreTheReferenceOnes() throws Exception {
        Random random = new Random(7);
        String alphabet = "abcxyz0129-_:\u00e9\u4e2d\ud83d\ude00";
        for (int i = 0; i < 2000; i++) {
            String[] parts = new String[3];
            for (int p = 0; p < 3; p++) {
                StringBuilder sb = new StringBuilder();
                int len = random.nextInt(i % 10 == 0 ? 300 : 30);
                for (int c = 0; c < len; c++) {
                    sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
                }
                parts[p] = sb.toString();
            }
            assertEquals(reference(parts[0], parts[1], parts[2]), TaskIds.next(parts[0], parts[1], parts[2]),
                    String.join("|", parts));
        }
    }
}
