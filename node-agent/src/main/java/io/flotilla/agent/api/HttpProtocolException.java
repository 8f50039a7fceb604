package io.flotilla.agent.api;

import java.io.IOException;

/** A malformed or unacceptable HTTP message; status is what the client is answered. */
final class HttpProtocolException extends IOException {
    final int status;

    HttpProtocolException(int status, String message) {
        super(message);
        this.status = status;
    }
}
