package io.flotilla.dns.server;

import org.xbill.DNS.Message;

import java.util.concurrent.CompletionStage;

/** Where names that are not the table's go. The stage completes (possibly exceptionally) in bounded time. */
public interface Upstream {
    CompletionStage<Message> forward(Message query, boolean tcp);
}
