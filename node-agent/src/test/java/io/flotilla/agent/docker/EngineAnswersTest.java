package io.flotilla.agent.docker;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.core.DockerClientConfig;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The warm-up's engine answers decode as the real ones, with the mapper the client decodes with. */
class EngineAnswersTest {

    @Test
    void theSamplesDecode() throws Exception {
        ObjectMapper mapper = DockerClientConfig.getDefaultObjectMapper();
        assertEquals(4242, EngineAnswers.decodeSamples(mapper));
        Event die = mapper.readValue(EngineAnswers.DIE_EVENT, Event.class);
        assertEquals("die", die.getAction());
        assertEquals("137", die.getActor().getAttributes().get("exitCode"));
        assertEquals("t", die.getActor().getAttributes().get("com.docker.swarm.task.id"));
    }

    @Test
    void theClientDecodesWithTheMapperItWasGiven() throws Exception {
        // an answer with a key twice: the default mapper takes the last, this one refuses it
        ObjectMapper strict = DockerClientConfig.getDefaultObjectMapper()
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        String answer = EngineAnswers.INSPECT.replaceFirst("\\{", "{\"Driver\":\"vfs\",");
        HttpServer engine = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        engine.createContext("/", x -> {
            byte[] body = answer.getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", "application/json");
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        engine.start();
        String url = "tcp://127.0.0.1:" + engine.getAddress().getPort();
        try (DockerClient lenient = DockerContainerRuntime.connect(url);
             DockerClient refusing = DockerContainerRuntime.connect(url, strict)) {
            assertEquals(4242, lenient.inspectContainerCmd("w.1.t").exec().getState().getPidLong().intValue());
            assertThrows(RuntimeException.class, () -> refusing.inspectContainerCmd("w.1.t").exec());
        } finally {
            engine.stop(0);
        }
    }
}
