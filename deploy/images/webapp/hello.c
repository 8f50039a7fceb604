/*
 * hello: the stand-in for kalise/nodejs-web-app. Listens on TCP 8080 (or argv[1]) and answers
 * every HTTP request with
 *     <html><head></head><body>Hello World! from <IP></body></html>
 * where IP is the local address of the accepted connection (getsockname), i.e. the container's
 * address the client reached.
 *
 * One process per connection (fork); HTTP/1.1 keep-alive and pipelining are supported, idle
 * connections are closed after 60 s. SIGTERM/SIGINT end the server at once: as PID 1 in a
 * container it would otherwise ignore them.
 *
 * Build: gcc -static -O2 -o hello hello.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define REQ_MAX 16384
#define IDLE_SECONDS 60

static void on_term(int sig) {
    (void)sig;
    _exit(0);
}

static int send_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The local address of the connection as text; IPv4-mapped IPv6 addresses print as IPv4. */
static void local_ip(int fd, char *out, size_t outlen) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    snprintf(out, outlen, "unknown");
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return;
    if (ss.ss_family == AF_INET) {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)outlen);
    } else if (ss.ss_family == AF_INET6) {
        struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a))
            inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)outlen);
        else
            inet_ntop(AF_INET6, a, out, (socklen_t)outlen);
    }
}

/* Case-insensitive search for a header's value inside the header block [h, end). */
static const char *header(const char *h, const char *end, const char *name, size_t *vlen) {
    size_t nlen = strlen(name);
    const char *line = h;
    while (line < end) {
        const char *eol = memmem(line, (size_t)(end - line), "\r\n", 2);
        if (eol == NULL) eol = end;
        if ((size_t)(eol - line) > nlen && line[nlen] == ':' && strncasecmp(line, name, nlen) == 0) {
            const char *v = line + nlen + 1;
            while (v < eol && (*v == ' ' || *v == '\t')) v++;
            *vlen = (size_t)(eol - v);
            return v;
        }
        line = eol + 2;
    }
    return NULL;
}

static int has_token(const char *v, size_t n, const char *token) {
    size_t t = strlen(token);
    for (size_t i = 0; i + t <= n; i++)
        if (strncasecmp(v + i, token, t) == 0) return 1;
    return 0;
}

static void serve(int fd) {
    char buf[REQ_MAX];
    size_t have = 0;
    char ip[INET6_ADDRSTRLEN];
    char body[256];
    char head[256];
    int bodylen;
    struct timeval tv = {IDLE_SECONDS, 0};
    int one = 1;

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    local_ip(fd, ip, sizeof ip);
    bodylen = snprintf(body, sizeof body,
                       "<html><head></head><body>Hello World! from %s</body></html>", ip);

    for (;;) {
        char *end = have ? memmem(buf, have, "\r\n\r\n", 4) : NULL;
        if (end == NULL) {
            if (have == sizeof buf) {
                static const char too_big[] =
                    "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n"
                    "Connection: close\r\n\r\n";
                send_all(fd, too_big, sizeof too_big - 1);
                return;
            }
            ssize_t r = recv(fd, buf + have, sizeof buf - have, 0);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return; /* closed, error or idle timeout */
            have += (size_t)r;
            continue;
        }

        size_t hdr_len = (size_t)(end - buf) + 4;
        const char *line_end = memmem(buf, hdr_len, "\r\n", 2);
        const char *hdrs = line_end + 2;
        size_t vlen = 0;
        const char *v;

        int head_only = hdr_len >= 5 && strncmp(buf, "HEAD ", 5) == 0;
        int http10 = memmem(buf, (size_t)(line_end - buf), "HTTP/1.0", 8) != NULL;
        int keep = !http10;
        if ((v = header(hdrs, end + 2, "Connection", &vlen)) != NULL) {
            if (has_token(v, vlen, "close")) keep = 0;
            else if (has_token(v, vlen, "keep-alive")) keep = 1;
        }
        unsigned long content_length = 0;
        if ((v = header(hdrs, end + 2, "Content-Length", &vlen)) != NULL)
            content_length = strtoul(v, NULL, 10);
        if (header(hdrs, end + 2, "Transfer-Encoding", &vlen) != NULL) keep = 0; /* not parsed */

        int hl = snprintf(head, sizeof head,
                          "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
                          "Connection: %s\r\n\r\n",
                          bodylen, keep ? "keep-alive" : "close");
        char out[sizeof head + sizeof body];
        memcpy(out, head, (size_t)hl);
        size_t outlen = (size_t)hl;
        if (!head_only) {
            memcpy(out + hl, body, (size_t)bodylen);
            outlen += (size_t)bodylen;
        }
        if (send_all(fd, out, outlen) != 0 || !keep) return;

        /* Drop this request (and its body) from the buffer; keep what is pipelined after it. */
        size_t consumed = hdr_len;
        size_t in_buf = have - consumed;
        if (content_length <= in_buf) {
            consumed += content_length;
        } else {
            unsigned long left = content_length - in_buf;
            consumed = have;
            while (left > 0) {
                ssize_t r = recv(fd, buf, left < sizeof buf ? left : sizeof buf, 0);
                if (r < 0 && errno == EINTR) continue;
                if (r <= 0) return;
                left -= (unsigned long)r;
            }
        }
        memmove(buf, buf + consumed, have - consumed);
        have -= consumed;
    }
}

static int listen_on(int port) {
    int one = 1;
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd >= 0) {
        int zero = 0;
        struct sockaddr_in6 a6;
        memset(&a6, 0, sizeof a6);
        a6.sin6_family = AF_INET6;
        a6.sin6_addr = in6addr_any;
        a6.sin6_port = htons((unsigned short)port);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        if (bind(fd, (struct sockaddr *)&a6, sizeof a6) == 0 && listen(fd, 1024) == 0) return fd;
        close(fd);
    }
    /* No IPv6 in this network namespace: IPv4 only. */
    struct sockaddr_in a4;
    memset(&a4, 0, sizeof a4);
    a4.sin_family = AF_INET;
    a4.sin_addr.s_addr = htonl(INADDR_ANY);
    a4.sin_port = htons((unsigned short)port);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a4, sizeof a4) != 0 || listen(fd, 1024) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int main(int argc, char **argv) {
    int port = 8080;
    if (argc > 2 || (argc == 2 && (port = atoi(argv[1])) <= 0) || port > 65535) {
        fprintf(stderr, "usage: %s [PORT]\n", argv[0]);
        return 2;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_flags = SA_NOCLDWAIT; /* children are reaped by the kernel */
    sigaction(SIGCHLD, &sa, NULL);

    int lfd = listen_on(port);
    if (lfd < 0) {
        perror("listen");
        return 1;
    }
    fprintf(stderr, "hello: listening on port %d\n", port);

    for (;;) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                usleep(10000);
                continue;
            }
            perror("accept");
            return 1;
        }
        pid_t pid = fork();
        if (pid == 0) {
            close(lfd);
            serve(c);
            shutdown(c, SHUT_WR);
            close(c);
            _exit(0);
        }
        if (pid < 0) usleep(10000); /* out of processes: drop this connection */
        close(c);
    }
}
