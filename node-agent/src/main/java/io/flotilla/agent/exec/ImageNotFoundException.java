package io.flotilla.agent.exec;

/** The image to create a container from is not on this host (nothing is ever pulled). */
public class ImageNotFoundException extends ContainerRuntimeException {

    public ImageNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
