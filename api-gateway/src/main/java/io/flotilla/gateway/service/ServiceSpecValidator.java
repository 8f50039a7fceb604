package io.flotilla.gateway.service;

import io.flotilla.contracts.v1.PortConfig;
import io.flotilla.contracts.v1.ServiceSpec;
import io.flotilla.gateway.docker.mapping.Constraints;
import io.flotilla.gateway.docker.mapping.InvalidSpecException;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/** The checks swarmkit's control API makes on a service spec, with its messages. */
public final class ServiceSpecValidator {
    private static final Pattern DNS_LABEL = Pattern.compile("^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$");

    private ServiceSpecValidator() {
    }

    public static void validate(ServiceSpec spec) {
        String name = spec.getName();
        if (name.isEmpty()) {
            throw new InvalidSpecException("meta: name must be provided");
        }
        if (name.length() > 63 || !DNS_LABEL.matcher(name).matches()) {
            throw new InvalidSpecException("name must be valid as a DNS name component");
        }
        if (!spec.hasTask() || !spec.getTask().hasContainer() || spec.getTask().getContainer().getImage().isBlank()) {
            throw new InvalidSpecException("ContainerSpec: image reference must be provided");
        }
        if (!spec.hasReplicated() && !spec.hasGlobal()) {
            throw new InvalidSpecException("service mode must be replicated or global");
        }
        if (spec.getTask().hasPlacement()) {
            Constraints.validate(spec.getTask().getPlacement().getConstraintsList());
        }
        if (spec.getTask().hasRestartPolicy() && spec.getTask().getRestartPolicy().getDelayNs() < 0) {
            throw new InvalidSpecException("TaskSpec: restart-delay cannot be negative");
        }
        if (spec.getTask().getContainer().getStopGracePeriodNs() < 0) {
            throw new InvalidSpecException("ContainerSpec: stop grace period cannot be negative");
        }
        Set<String> published = new HashSet<>();
        for (PortConfig p : spec.getEndpoint().getPortsList()) {
            if (p.getTargetPort() == 0 || p.getTargetPort() > 65535 || p.getPublishedPort() > 65535) {
                throw new InvalidSpecException("EndpointSpec: port out of range");
            }
            if (spec.getEndpoint().getMode() == io.flotilla.contracts.v1.EndpointMode.ENDPOINT_DNSRR
                    && p.getPublishMode() == io.flotilla.contracts.v1.PublishMode.PUBLISH_INGRESS) {
                throw new InvalidSpecException("EndpointSpec: port published with ingress mode can't be used with dnsrr mode");
            }
            if (p.getPublishedPort() != 0
                    && !published.add(p.getPublishedPort() + "/" + (p.getProtocol().isEmpty() ? "tcp" : p.getProtocol()))) {
                throw new InvalidSpecException("EndpointSpec: duplicate published ports provided");
            }
        }
    }
}
