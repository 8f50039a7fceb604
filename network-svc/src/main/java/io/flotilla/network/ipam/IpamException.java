package io.flotilla.network.ipam;

/** An allocation that cannot be made: a pool exhausted, a conflict, bad input. The message is for users. */
public class IpamException extends RuntimeException {
    public IpamException(String message) {
        super(message);
    }
}
