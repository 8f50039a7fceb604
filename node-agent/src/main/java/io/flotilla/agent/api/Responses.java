package io.flotilla.agent.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;

/** Responses the agent writes itself, in the shape dockerd gives them. */
final class Responses {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String API_VERSION = "1.41";

    private Responses() {
    }

    /** One response, rendered as HTTP/1.1 bytes. */
    static final class Response {
        final int status;
        final Map<String, String> headers = new LinkedHashMap<>();
        final byte[] body;

        Response(int status, String contentType, byte[] body) {
            this.status = status;
            this.body = body;
            headers.put("Api-Version", API_VERSION);
            if (contentType != null) {
                headers.put("Content-Type", contentType);
            }
            headers.put("Docker-Experimental", "false");
            headers.put("Ostype", "linux");
            headers.put("Server", "Docker/20.10.24 (linux)");
        }

        Response header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        byte[] render(boolean headRequest, boolean close) {
            StringBuilder sb = new StringBuilder();
            sb.append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
            headers.forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
            sb.append("Date: ").append(DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC)))
                    .append("\r\n");
            sb.append("Content-Length: ").append(body.length).append("\r\n");
            if (close) {
                sb.append("Connection: close\r\n");
            }
            sb.append("\r\n");
            byte[] head = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
            if (headRequest || body.length == 0) {
                return head;
            }
            byte[] all = new byte[head.length + body.length];
            System.arraycopy(head, 0, all, 0, head.length);
            System.arraycopy(body, 0, all, head.length, body.length);
            return all;
        }
    }

    /** Docker's error shape: {"message": "..."} with a status. */
    static Response error(int status, String message) {
        ObjectNode o = JSON.createObjectNode().put("message", message);
        return json(status, o);
    }

    static Response json(int status, Object value) {
        try {
            byte[] body = JSON.writeValueAsBytes(value);
            byte[] withNewline = new byte[body.length + 1];
            System.arraycopy(body, 0, withNewline, 0, body.length);
            withNewline[body.length] = '\n';
            return new Response(status, "application/json", withNewline);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Response text(int status, String text) {
        return new Response(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
    }

    static String reason(int status) {
        switch (status) {
            case 101: return "Switching Protocols";
            case 200: return "OK";
            case 201: return "Created";
            case 204: return "No Content";
            case 304: return "Not Modified";
            case 400: return "Bad Request";
            case 403: return "Forbidden";
            case 404: return "Not Found";
            case 406: return "Not Acceptable";
            case 409: return "Conflict";
            case 413: return "Request Entity Too Large";
            case 431: return "Request Header Fields Too Large";
            case 500: return "Internal Server Error";
            case 501: return "Not Implemented";
            case 502: return "Bad Gateway";
            case 503: return "Service Unavailable";
            default: return "Status " + status;
        }
    }

    // Docker's own texts
    static final String NOT_IN_SWARM_MANAGER = "This node is not a swarm manager. Use \"docker swarm init\" or "
            + "\"docker swarm join\" to connect this node to swarm and try again.";
    static final String WORKER_NOT_MANAGER = "This node is not a swarm manager. Worker nodes can't be used to view "
            + "or modify cluster state. Please run this command on a manager node or promote the current node to a "
            + "manager.";
    static final String ALREADY_IN_SWARM = "This node is already part of a swarm. Use \"docker swarm leave\" to "
            + "leave this swarm and join another one.";
    static final String NOT_PART_OF_SWARM = "This node is not part of a swarm";
    static final String LEAVE_LAST_MANAGER = "You are attempting to leave the swarm on a node that is participating "
            + "as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to "
            + "ignore this message. ";
    static final String LEAVE_MANAGER = "You are attempting to leave the swarm on a node that is participating as a "
            + "manager. Doing so may lose the consensus of your cluster. The only way to restore a swarm that has "
            + "lost consensus is to reinitialize it with `--force-new-cluster`. Use `--force` to suppress this "
            + "message.";
}
