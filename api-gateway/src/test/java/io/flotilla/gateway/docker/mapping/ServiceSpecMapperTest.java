package io.flotilla.gateway.docker.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.contracts.v1.ContainerSpec;
import io.flotilla.contracts.v1.EndpointMode;
import io.flotilla.contracts.v1.EndpointSpec;
import io.flotilla.contracts.v1.FailureAction;
import io.flotilla.contracts.v1.GlobalMode;
import io.flotilla.contracts.v1.NetworkAttachmentConfig;
import io.flotilla.contracts.v1.Placement;
import io.flotilla.contracts.v1.PortConfig;
import io.flotilla.contracts.v1.PublishMode;
import io.flotilla.contracts.v1.ReplicatedMode;
import io.flotilla.contracts.v1.Resources;
import io.flotilla.contracts.v1.RestartCondition;
import io.flotilla.contracts.v1.RestartPolicy;
import io.flotilla.contracts.v1.ServiceSpec;
import io.flotilla.contracts.v1.TaskSpec;
import io.flotilla.contracts.v1.UpdateConfig;
import io.flotilla.contracts.v1.UpdateOrder;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServiceSpecMapperTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static ServiceSpec full() {
        return ServiceSpec.newBuilder()
                .setName("nodejs")
                .putLabels("tier", "web")
                .setTask(TaskSpec.newBuilder()
                        .setContainer(ContainerSpec.newBuilder().setImage("kalise/nodejs-web-app:latest")
                                .addCommand("/bin/httpd").addArgs("-f").addEnv("A=1").putLabels("l", "v")
                                .setHostname("h").setDir("/srv").setUser("nobody").setTty(true)
                                .setStopGracePeriodNs(3_000_000_000L))
                        .setLimits(Resources.newBuilder().setNanoCpus(500_000_000L).setMemoryBytes(64L << 20))
                        .setReservations(Resources.newBuilder().setMemoryBytes(32L << 20))
                        .setRestartPolicy(RestartPolicy.newBuilder().setCondition(RestartCondition.RESTART_ON_FAILURE)
                                .setDelaySet(true).setDelayNs(2_000_000_000L).setMaxAttempts(3).setWindowNs(60_000_000_000L))
                        .setPlacement(Placement.newBuilder().addConstraints("node.role==worker"))
                        .addNetworks(NetworkAttachmentConfig.newBuilder().setTarget("backend").addAliases("web"))
                        .setForceUpdate(2))
                .setReplicated(ReplicatedMode.newBuilder().setReplicas(3))
                .setUpdate(UpdateConfig.newBuilder().setParallelism(2).setDelayNs(10_000_000_000L)
                        .setFailureAction(FailureAction.FAILURE_ROLLBACK).setMonitorNs(7_000_000_000L)
                        .setMaxFailureRatio(0.25f).setOrder(UpdateOrder.START_FIRST))
                .setRollback(UpdateConfig.newBuilder().setParallelism(1).setFailureAction(FailureAction.FAILURE_CONTINUE))
                .setEndpoint(EndpointSpec.newBuilder().setMode(EndpointMode.ENDPOINT_VIP)
                        .addPorts(PortConfig.newBuilder().setProtocol("tcp").setTargetPort(8080).setPublishedPort(80))
                        .addPorts(PortConfig.newBuilder().setName("dns").setProtocol("udp").setTargetPort(53)
                                .setPublishedPort(5353).setPublishMode(PublishMode.PUBLISH_HOST)))
                .build();
    }

    @Test
    void fullSpecRoundTripsThroughDockerJson() throws Exception {
        ServiceSpec spec = full();
        String text = JSON.writeValueAsString(ServiceSpecMapper.toDocker(spec, false));
        assertEquals(spec, ServiceSpecMapper.fromDocker(JSON.readTree(text)));
    }

    @Test
    void minimalAndGlobalSpecsRoundTrip() {
        ServiceSpec minimal = ServiceSpec.newBuilder().setName("a")
                .setTask(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage("busybox")))
                .setReplicated(ReplicatedMode.newBuilder().setReplicas(1)).build();
        assertEquals(minimal, ServiceSpecMapper.fromDocker(ServiceSpecMapper.toDocker(minimal, false)));
        ServiceSpec global = minimal.toBuilder().setGlobal(GlobalMode.getDefaultInstance()).build();
        JsonNode docker = ServiceSpecMapper.toDocker(global, false);
        assertTrue(docker.get("Mode").has("Global"));
        assertEquals(global, ServiceSpecMapper.fromDocker(docker));
    }

    @Test
    void durationsAreIntegerNanoseconds() {
        JsonNode d = ServiceSpecMapper.toDocker(full(), false);
        assertEquals(2_000_000_000L, d.at("/TaskTemplate/RestartPolicy/Delay").longValue());
        assertEquals(10_000_000_000L, d.at("/UpdateConfig/Delay").longValue());
        assertEquals(7_000_000_000L, d.at("/UpdateConfig/Monitor").longValue());
        assertEquals(3_000_000_000L, d.at("/TaskTemplate/ContainerSpec/StopGracePeriod").longValue());
        assertTrue(d.at("/UpdateConfig/Delay").isIntegralNumber());
    }

    @Test
    void walkthroughCreateBodyMaps() throws Exception {
        // what `docker service create --replicas 1 --name nodejs --publish 80:8080 --constraint node.role==worker` sends
        String body = """
                {"Name":"nodejs","Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"kalise/nodejs-web-app:latest",
                "Init":false,"StopGracePeriod":null,"DNSConfig":{},"Isolation":"default"},"Resources":{"Limits":{},"Reservations":{}},
                "Placement":{"Constraints":["node.role==worker"]},"ForceUpdate":0,"Runtime":"container"},
                "Mode":{"Replicated":{"Replicas":1}},"UpdateConfig":{"Parallelism":1,"FailureAction":"pause","Monitor":5000000000,
                "MaxFailureRatio":0,"Order":"stop-first"},"RollbackConfig":{"Parallelism":1,"FailureAction":"pause",
                "Monitor":5000000000,"MaxFailureRatio":0,"Order":"stop-first"},
                "EndpointSpec":{"Mode":"vip","Ports":[{"Protocol":"tcp","TargetPort":8080,"PublishedPort":80,"PublishMode":"ingress"}]}}""";
        ServiceSpec spec = ServiceSpecMapper.fromDocker(JSON.readTree(body));
        assertEquals("nodejs", spec.getName());
        assertEquals(1, spec.getReplicated().getReplicas());
        assertEquals("node.role==worker", spec.getTask().getPlacement().getConstraints(0));
        assertEquals(80, spec.getEndpoint().getPorts(0).getPublishedPort());
        assertEquals(8080, spec.getEndpoint().getPorts(0).getTargetPort());
        assertFalse(spec.getTask().hasRestartPolicy());
        assertEquals(5_000_000_000L, spec.getUpdate().getMonitorNs());
    }

    @Test
    void restartDelayPresentOrAbsent() throws Exception {
        ServiceSpec withDelay = ServiceSpecMapper.fromDocker(JSON.readTree(
                "{\"Name\":\"a\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"b\"},\"RestartPolicy\":{\"Condition\":\"on-failure\",\"Delay\":0}}}"));
        assertTrue(withDelay.getTask().getRestartPolicy().getDelaySet(), "an explicit Delay of 0 is honoured as given");
        assertEquals(0, withDelay.getTask().getRestartPolicy().getDelayNs());
        ServiceSpec without = ServiceSpecMapper.fromDocker(JSON.readTree(
                "{\"Name\":\"a\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"b\"},\"RestartPolicy\":{\"MaxAttempts\":2}}}"));
        assertFalse(without.getTask().getRestartPolicy().getDelaySet());
        assertEquals(RestartCondition.RESTART_ANY, without.getTask().getRestartPolicy().getCondition());
        assertFalse(ServiceSpecMapper.toDocker(without, true).at("/TaskTemplate/RestartPolicy").has("Delay"),
                "an unset delay stays unset: Flotilla restarts at once, then backs off");
    }

    @Test
    void insertDefaultsShowsSwarmDefaults() {
        ServiceSpec minimal = ServiceSpec.newBuilder().setName("a")
                .setTask(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage("busybox")))
                .setReplicated(ReplicatedMode.newBuilder().setReplicas(1)).build();
        JsonNode plain = ServiceSpecMapper.toDocker(minimal, false);
        assertFalse(plain.has("UpdateConfig"));
        assertFalse(plain.has("EndpointSpec"));
        JsonNode d = ServiceSpecMapper.toDocker(minimal, true);
        assertEquals(1, d.at("/UpdateConfig/Parallelism").intValue());
        assertEquals("pause", d.at("/UpdateConfig/FailureAction").asText());
        assertEquals(5_000_000_000L, d.at("/UpdateConfig/Monitor").longValue());
        assertEquals(0, d.at("/UpdateConfig/MaxFailureRatio").doubleValue());
        assertEquals("stop-first", d.at("/UpdateConfig/Order").asText());
        assertEquals("pause", d.at("/RollbackConfig/FailureAction").asText());
        assertEquals("any", d.at("/TaskTemplate/RestartPolicy/Condition").asText());
        assertEquals("vip", d.at("/EndpointSpec/Mode").asText());
        assertEquals(10_000_000_000L, d.at("/TaskTemplate/ContainerSpec/StopGracePeriod").longValue());
    }

    @Test
    void missingModeMeansOneReplica() throws Exception {
        ServiceSpec spec = ServiceSpecMapper.fromDocker(JSON.readTree("{\"Name\":\"a\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"b\"}}}"));
        assertEquals(1, spec.getReplicated().getReplicas());
    }

    @Test
    void badValuesAreRefused() throws Exception {
        assertThrows(InvalidSpecException.class, () -> ServiceSpecMapper.fromDocker(JSON.readTree(
                "{\"Name\":\"a\",\"Mode\":{\"Replicated\":{\"Replicas\":-1}}}")));
        assertThrows(InvalidSpecException.class, () -> ServiceSpecMapper.fromDocker(JSON.readTree(
                "{\"Name\":\"a\",\"Mode\":{\"Replicated\":{\"Replicas\":\"two\"}}}")));
        assertThrows(InvalidSpecException.class, () -> ServiceSpecMapper.fromDocker(JSON.readTree(
                "{\"Name\":\"a\",\"TaskTemplate\":{\"RestartPolicy\":{\"Condition\":\"sometimes\"}}}")));
        assertThrows(InvalidSpecException.class, () -> ServiceSpecMapper.fromDocker(JSON.readTree(
                "{\"Name\":\"a\",\"UpdateConfig\":{\"FailureAction\":\"explode\"}}")));
        assertThrows(InvalidSpecException.class, () -> ServiceSpecMapper.fromDocker(JSON.readTree(
                "{\"Name\":\"a\",\"EndpointSpec\":{\"Ports\":[{\"TargetPort\":70000}]}}")));
        assertThrows(InvalidSpecException.class, () -> ServiceSpecMapper.fromDocker(JSON.readTree(
                "{\"Name\":\"a\",\"Mode\":{\"Replicated\":{},\"Global\":{}}}")));
        assertThrows(InvalidSpecException.class, () -> ServiceSpecMapper.fromDocker(JSON.readTree("[1]")));
    }

    @Test
    void deprecatedSpecNetworksAreTaken() throws Exception {
        ServiceSpec spec = ServiceSpecMapper.fromDocker(JSON.readTree(
                "{\"Name\":\"a\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"b\"}},\"Networks\":[{\"Target\":\"net1\"}]}"));
        assertEquals("net1", spec.getTask().getNetworks(0).getTarget());
    }
}
