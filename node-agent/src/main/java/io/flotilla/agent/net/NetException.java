package io.flotilla.agent.net;

/** A dataplane step the kernel refused, with the tool's message. */
public class NetException extends RuntimeException {
    public NetException(String message) {
        super(message);
    }
}
