package io.flotilla.agent.docker;

import io.flotilla.agent.exec.TaskNetworking;
import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Until the overlay dataplane exists every task container gets one engine network mode
 * (flotilla.executor.network-mode, "bridge"). A bean of type {@link TaskNetworking} elsewhere replaces this one.
 */
@ApplicationScoped
public class TaskNetworkingProducer {

    @Produces
    @Singleton
    @DefaultBean
    TaskNetworking taskNetworking(@ConfigProperty(name = "flotilla.executor.network-mode", defaultValue = "bridge")
                                  String mode) {
        return TaskNetworking.fixed(mode);
    }
}
