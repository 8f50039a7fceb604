package io.flotilla.agent.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.model.Network;
import io.flotilla.agent.net.Dataplane;
import io.flotilla.agent.net.NetException;
import io.flotilla.agent.net.NetNames;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * docker_gwbridge in the host's dockerd, as Swarm makes it: a local bridge network on 172.18.0.0/16 with
 * inter-container traffic off and masquerade on; 172.18.0.2 is an auxiliary address (kept out of the pool)
 * because ingress_sbox takes it.
 */
public final class DockerGatewayBridge implements Dataplane.Engine {

    private final String socket;
    private DockerClient docker;

    public DockerGatewayBridge(String socket) {
        this.socket = socket;
    }

    @Override
    public synchronized void ensureGatewayBridge() {
        if (docker == null) {
            docker = DockerContainerRuntime.connect(socket);
        }
        try {
            for (Network n : docker.listNetworksCmd().withNameFilter(NetNames.GWBRIDGE).exec()) {
                if (NetNames.GWBRIDGE.equals(n.getName())) {
                    return;
                }
            }
            // docker-java's IPAM config has no AuxiliaryAddresses: this one call goes to the socket as is
            String body = "{\"Name\":\"" + NetNames.GWBRIDGE + "\",\"Driver\":\"bridge\",\"CheckDuplicate\":true,"
                    + "\"IPAM\":{\"Driver\":\"default\",\"Config\":[{\"Subnet\":\"" + NetNames.GWBRIDGE_SUBNET
                    + "\",\"Gateway\":\"" + NetNames.GWBRIDGE_GATEWAY + "\",\"AuxiliaryAddresses\":{\"ingress-sbox\":\""
                    + NetNames.SBOX_GW_ADDRESS + "\"}}]},"
                    + "\"Options\":{\"com.docker.network.bridge.enable_icc\":\"false\","
                    + "\"com.docker.network.bridge.enable_ip_masquerade\":\"true\","
                    + "\"com.docker.network.bridge.name\":\"" + NetNames.GWBRIDGE + "\"}}";
            String status = post("/networks/create", body);
            if (!status.startsWith("201") && !status.startsWith("409")) {
                throw new NetException("creating " + NetNames.GWBRIDGE + ": " + status);
            }
        } catch (ConflictException e) {
            // made meanwhile
        } catch (DockerException e) {
            throw new NetException("creating " + NetNames.GWBRIDGE + ": " + e.getMessage());
        }
    }

    /** POSTs a JSON body on the engine's socket; the status line's code and reason (and body on error). */
    private String post(String path, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket.replaceFirst("^unix://", "")))) {
            ch.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
            ch.write(ByteBuffer.wrap(body));
            String answer = new String(Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8);
            int sp = answer.indexOf(' ');
            int eol = answer.indexOf("\r\n");
            String status = sp < 0 || eol < sp ? answer : answer.substring(sp + 1, eol);
            int bodyAt = answer.indexOf("\r\n\r\n");
            return status.startsWith("2") || bodyAt < 0 ? status : status + " " + answer.substring(bodyAt + 4).strip();
        } catch (IOException e) {
            throw new NetException("creating " + NetNames.GWBRIDGE + ": " + e.getMessage());
        }
    }
}
