package io.flotilla.agent.exec;

/** A container engine call failed; the message is the engine's own, as Swarm shows it. */
public class ContainerRuntimeException extends RuntimeException {

    public ContainerRuntimeException(String message, Throwable cause) {
        super(message, cause);
    }

    public ContainerRuntimeException(String message) {
        super(message);
    }
}
