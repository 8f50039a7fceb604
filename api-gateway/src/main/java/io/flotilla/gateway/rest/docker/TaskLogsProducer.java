package io.flotilla.gateway.rest.docker;

import io.flotilla.gateway.service.NodeLogFetcher;
import io.flotilla.gateway.service.TaskLogs;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** The logs reader: nodes' Docker API endpoints on {@code flotilla.node-api-port}, short connect timeout. */
@ApplicationScoped
public class TaskLogsProducer {
    @ConfigProperty(name = "flotilla.node-api-port", defaultValue = "2375")
    int port;
    @ConfigProperty(name = "flotilla.logs.connect-timeout-ms", defaultValue = "1000")
    int connectTimeoutMs;
    @ConfigProperty(name = "flotilla.logs.read-timeout-ms", defaultValue = "10000")
    int readTimeoutMs;

    @Produces
    @jakarta.inject.Singleton
    TaskLogs taskLogs() {
        return new TaskLogs(new NodeLogFetcher(port, connectTimeoutMs, readTimeoutMs));
    }
}
