package io.flotilla.agent.session;

import io.flotilla.contracts.v1.NodeDescription;
import io.flotilla.contracts.v1.Resources;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What this host is, for the node's description: hostname, platform, resources, engine version. */
public final class NodeFacts {

    private static final Pattern MEM_TOTAL = Pattern.compile("(?m)^MemTotal:\\s+(\\d+)\\s*kB");
    private static final Pattern VERSION = Pattern.compile("\"Version\"\\s*:\\s*\"([^\"]*)\"");

    private NodeFacts() {}

    public static NodeDescription describe(String hostname, Path dockerSocket) {
        return NodeDescription.newBuilder()
                .setHostname(hostname)
                .setOs("linux")
                .setArchitecture(architecture(System.getProperty("os.arch", "")))
                .setResources(Resources.newBuilder()
                        .setNanoCpus(Runtime.getRuntime().availableProcessors() * 1_000_000_000L)
                        .setMemoryBytes(memoryBytes(Path.of("/proc/meminfo"))))
                .setEngineVersion(engineVersion(dockerSocket))
                .build();
    }

    /** Docker's names for the JVM's (x86_64 as `docker node inspect` shows it). */
    static String architecture(String jvmArch) {
        return switch (jvmArch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> jvmArch;
        };
    }

    static long memoryBytes(Path meminfo) {
        try {
            Matcher m = MEM_TOTAL.matcher(Files.readString(meminfo));
            return m.find() ? Long.parseLong(m.group(1)) * 1024 : 0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** The local dockerd's version from GET /version on its socket, or "" within a second. */
    static String engineVersion(Path socket) {
        if (socket == null || !Files.exists(socket)) {
            return "";
        }
        CompletableFuture<String> f = CompletableFuture.supplyAsync(() -> {
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(socket));
                ch.write(ByteBuffer.wrap("GET /version HTTP/1.0\r\nHost: docker\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
                try (InputStream in = Channels.newInputStream(ch)) {
                    String response = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
                    Matcher m = VERSION.matcher(response);
                    return m.find() ? m.group(1) : "";
                }
            } catch (IOException e) {
                return "";
            }
        });
        try {
            return f.get(1, TimeUnit.SECONDS);
        } catch (Exception e) {
            f.cancel(true);
            return "";
        }
    }
}
