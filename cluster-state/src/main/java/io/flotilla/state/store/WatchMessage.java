package io.flotilla.state.store;

import io.flotilla.contracts.v1.WatchResponse;

/**
 * One message of a watch, and its encoding, made once: every watcher that gets the same events of a batch
 * gets the same instance, so a change is encoded once for all its remote watchers ({@link #bytes}).
 */
public final class WatchMessage {
    private final WatchResponse message;
    private volatile byte[] bytes;

    WatchMessage(WatchResponse message) {
        this.message = message;
    }

    public WatchResponse message() {
        return message;
    }

    /** The message's protobuf encoding, made on first use and shared (do not change the array). */
    public byte[] bytes() {
        byte[] b = bytes;
        if (b == null) {
            synchronized (this) {
                b = bytes;
                if (b == null) {
                    b = message.toByteArray();
                    bytes = b;
                }
            }
        }
        return b;
    }
}
