package io.flotilla.gateway.docker.mapping;

/** What a user sent cannot be accepted; the message says why, in Docker's words where it has some. */
public class InvalidSpecException extends RuntimeException {
    public InvalidSpecException(String message) {
        super(message);
    }
}
