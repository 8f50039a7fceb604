package io.flotilla.agent.exec;

/** A container with the name to create already exists on this host. */
public class NameInUseException extends ContainerRuntimeException {

    public NameInUseException(String message, Throwable cause) {
        super(message, cause);
    }
}
