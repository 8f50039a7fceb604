package io.flotilla.agent.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A parsed HTTP/1.x request or response head. The raw bytes are kept: a proxied head is forwarded exactly
 * as it was received.
 */
final class HttpHead {

    final byte[] raw;
    final String startLine;
    final List<String[]> headers;

    private HttpHead(byte[] raw, String startLine, List<String[]> headers) {
        this.raw = raw;
        this.startLine = startLine;
        this.headers = headers;
    }

    static HttpHead parse(byte[] raw) throws HttpProtocolException {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\r?\n");
        if (lines.length == 0 || lines[0].isBlank()) {
            throw new HttpProtocolException(400, "malformed HTTP head");
        }
        List<String[]> headers = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new HttpProtocolException(400, "malformed header line");
            }
            headers.add(new String[] {line.substring(0, colon).trim(), line.substring(colon + 1).trim()});
        }
        return new HttpHead(raw, lines[0], headers);
    }

    String header(String name) {
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(name)) {
                return h[1];
            }
        }
        return null;
    }

    boolean headerHasToken(String name, String token) {
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(name)) {
                for (String t : h[1].split(",")) {
                    if (t.trim().equalsIgnoreCase(token)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private String[] startParts() {
        return startLine.split(" ", 3);
    }

    // request heads

    String method() {
        return startParts()[0].toUpperCase(Locale.ROOT);
    }

    String target() {
        String[] p = startParts();
        return p.length > 1 ? p[1] : "/";
    }

    String path() {
        String t = target();
        int q = t.indexOf('?');
        return q < 0 ? t : t.substring(0, q);
    }

    String query() {
        String t = target();
        int q = t.indexOf('?');
        return q < 0 ? "" : t.substring(q + 1);
    }

    String requestVersion() {
        String[] p = startParts();
        return p.length > 2 ? p[2].trim() : "HTTP/1.0";
    }

    // response heads

    int status() throws HttpProtocolException {
        String[] p = startParts();
        try {
            return Integer.parseInt(p[1].trim());
        } catch (RuntimeException e) {
            throw new HttpProtocolException(502, "malformed status line from upstream: " + startLine);
        }
    }

    String responseVersion() {
        return startParts()[0];
    }

    /** Whether the message says the connection closes after it (HTTP/1.0 without keep-alive, or close). */
    boolean closes(String version) {
        if (headerHasToken("Connection", "close")) {
            return true;
        }
        return version.equalsIgnoreCase("HTTP/1.0") && !headerHasToken("Connection", "keep-alive");
    }

    boolean chunked() {
        String te = header("Transfer-Encoding");
        return te != null && te.toLowerCase(Locale.ROOT).contains("chunked");
    }

    /** Content-Length, or -1 when absent. */
    long contentLength() throws HttpProtocolException {
        String cl = header("Content-Length");
        if (cl == null) {
            return -1;
        }
        try {
            long n = Long.parseLong(cl.trim());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new HttpProtocolException(400, "bad Content-Length");
        }
    }

    String queryParam(String name) {
        for (String kv : query().split("&")) {
            int eq = kv.indexOf('=');
            String k = eq < 0 ? kv : kv.substring(0, eq);
            if (k.equals(name)) {
                return eq < 0 ? "" : java.net.URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }
}
