package io.flotilla.agent.docker;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.command.CreateContainerResponse;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Event;

import java.io.IOException;
import java.util.List;

/**
 * Samples of the engine's answers on a task's path (dockerd 20.10, API 1.41), decoded once at the executor's
 * start with the client's own object mapper (docker-java's default, which {@link DockerContainerRuntime#connect}
 * keeps): Jackson builds a type's deserializer on its first answer, and the first die event, the first
 * inspect of a running container and the first successful create otherwise pay for it on a failover's
 * critical path. Nothing is sent to the engine.
 */
final class EngineAnswers {

    static final String DIE_EVENT = """
            {"status":"die","id":"0123456789ab0123456789ab0123456789ab0123456789ab0123456789ab0123",\
            "from":"kalise/nodejs-web-app:latest","Type":"container","Action":"die","Actor":{"ID":\
            "0123456789ab0123456789ab0123456789ab0123456789ab0123456789ab0123","Attributes":{\
            "com.docker.swarm.node.id":"n","com.docker.swarm.service.id":"s","com.docker.swarm.service.name":"w",\
            "com.docker.swarm.task":"","com.docker.swarm.task.id":"t","com.docker.swarm.task.name":"w.1.t",\
            "exitCode":"137","image":"kalise/nodejs-web-app:latest","name":"w.1.t"}},"scope":"local",\
            "time":1764180000,"timeNano":1764180000123456789}
            """;

    static final String CREATED = """
            {"Id":"0123456789ab0123456789ab0123456789ab0123456789ab0123456789ab0123","Warnings":[]}
            """;

    static final String LIST = """
            [{"Id":"0123456789ab0123456789ab0123456789ab0123456789ab0123456789ab0123","Names":["/w.1.t"],\
            "Image":"kalise/nodejs-web-app:latest","ImageID":"sha256:0123","Command":"/hello","Created":1764180000,\
            "Ports":[{"PrivatePort":8080,"Type":"tcp"}],"Labels":{"com.docker.swarm.task.id":"t"},\
            "State":"running","Status":"Up 1 second","HostConfig":{"NetworkMode":"bridge"},\
            "NetworkSettings":{"Networks":{"bridge":{"IPAMConfig":null,"Links":null,"Aliases":null,\
            "NetworkID":"n1","EndpointID":"e1","Gateway":"172.17.0.1","IPAddress":"172.17.0.2","IPPrefixLen":16,\
            "IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"MacAddress":"02:42:ac:11:00:02",\
            "DriverOpts":null}}},"Mounts":[]}]
            """;

    static final String INSPECT = """
            {"Id":"0123456789ab0123456789ab0123456789ab0123456789ab0123456789ab0123",\
            "Created":"2026-11-26T18:00:00.123456789Z","Path":"/hello","Args":[],\
            "State":{"Status":"running","Running":true,"Paused":false,"Restarting":false,"OOMKilled":false,\
            "Dead":false,"Pid":4242,"ExitCode":0,"Error":"","StartedAt":"2026-11-26T18:00:00.223456789Z",\
            "FinishedAt":"0001-01-01T00:00:00Z"},"Image":"sha256:0123",\
            "ResolvConfPath":"/var/lib/docker/containers/0123/resolv.conf",\
            "HostnamePath":"/var/lib/docker/containers/0123/hostname",\
            "HostsPath":"/var/lib/docker/containers/0123/hosts",\
            "LogPath":"/var/lib/docker/containers/0123/0123-json.log","Name":"/w.1.t","RestartCount":0,\
            "Driver":"overlay2","Platform":"linux","MountLabel":"","ProcessLabel":"","AppArmorProfile":"",\
            "ExecIDs":null,"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"json-file",\
            "Config":{}},"NetworkMode":"bridge","PortBindings":{"8080/tcp":[{"HostIp":"","HostPort":"8080"}]},\
            "RestartPolicy":{"Name":"","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"",\
            "VolumesFrom":null,"CapAdd":null,"CapDrop":null,"CgroupnsMode":"private","Dns":null,\
            "DnsOptions":null,"DnsSearch":null,"ExtraHosts":null,"GroupAdd":null,"IpcMode":"private",\
            "Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,\
            "ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":67108864,\
            "Runtime":"runc","ConsoleSize":[0,0],"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,\
            "CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":null,"BlkioDeviceReadBps":null,\
            "BlkioDeviceWriteBps":null,"BlkioDeviceReadIOps":null,"BlkioDeviceWriteIOps":null,"CpuPeriod":0,\
            "CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"",\
            "Devices":null,"DeviceCgroupRules":null,"DeviceRequests":null,"KernelMemory":0,\
            "KernelMemoryTCP":0,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":null,\
            "OomKillDisable":null,"PidsLimit":null,"Ulimits":null,"CpuCount":0,"CpuPercent":0,\
            "IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":["/proc/asound","/proc/acpi"],\
            "ReadonlyPaths":["/proc/bus","/proc/fs"]},"GraphDriver":{"Data":{"LowerDir":"/l","MergedDir":"/m",\
            "UpperDir":"/u","WorkDir":"/w"},"Name":"overlay2"},"Mounts":[{"Type":"volume","Name":"v",\
            "Source":"/s","Destination":"/d","Driver":"local","Mode":"z","RW":true,"Propagation":""}],\
            "Config":{"Hostname":"0123456789ab","Domainname":"","User":"","AttachStdin":false,\
            "AttachStdout":false,"AttachStderr":false,"ExposedPorts":{"8080/tcp":{}},"Tty":false,\
            "OpenStdin":false,"StdinOnce":false,"Env":["PATH=/bin"],"Cmd":null,"Image":\
            "kalise/nodejs-web-app:latest","Volumes":null,"WorkingDir":"","Entrypoint":["/hello"],\
            "OnBuild":null,"Labels":{"com.docker.swarm.task.id":"t"}},"NetworkSettings":{"Bridge":"",\
            "SandboxID":"0123","HairpinMode":false,"LinkLocalIPv6Address":"","LinkLocalIPv6PrefixLen":0,\
            "Ports":{"8080/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}]},"SandboxKey":"/var/run/docker/netns/0123",\
            "SecondaryIPAddresses":null,"SecondaryIPv6Addresses":null,"EndpointID":"e1","Gateway":"172.17.0.1",\
            "GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"IPAddress":"172.17.0.2","IPPrefixLen":16,\
            "IPv6Gateway":"","MacAddress":"02:42:ac:11:00:02","Networks":{"bridge":{"IPAMConfig":null,\
            "Links":null,"Aliases":null,"NetworkID":"n1","EndpointID":"e1","Gateway":"172.17.0.1",\
            "IPAddress":"172.17.0.2","IPPrefixLen":16,"IPv6Gateway":"","GlobalIPv6Address":"",\
            "GlobalIPv6PrefixLen":0,"MacAddress":"02:42:ac:11:00:02","DriverOpts":null}}}}
            """;

    private EngineAnswers() {
    }

    /** Decodes each sample as the client would; returns the inspected sample's pid (4242) as a check. */
    static int decodeSamples(ObjectMapper mapper) throws IOException {
        Event e = mapper.readValue(DIE_EVENT, Event.class);
        CreateContainerResponse created = mapper.readValue(CREATED, CreateContainerResponse.class);
        List<Container> listed = mapper.readValue(LIST, new TypeReference<List<Container>>() { });
        InspectContainerResponse inspected = mapper.readValue(INSPECT, InspectContainerResponse.class);
        if (e.getActor() == null || created.getId() == null || listed.size() != 1) {
            throw new IOException("engine answer samples decoded to nothing");
        }
        return inspected.getState().getPidLong().intValue();
    }
}
