/* The load client of bench/run.sh --streams: N concurrent SSE streams, per-event latency (C, Linux, no deps).
 *
 * Usage: stream_load --port P --path PATH --body FILE --streams N --events E
 *                    [--rate R] [--timeout S] [--ready-file FILE] [--samples FILE]
 *
 * Opens N connections to 127.0.0.1:P, R new ones per second (default 1000), posts FILE to PATH on each and reads
 * the answer (chunked, content-length or close-delimited). Every `data:` line that carries the mock's send time
 * ("system_fingerprint":"ts_<CLOCK_MONOTONIC ns>", see stream_mock.c) gives one latency sample: the time of the
 * read that delivered it minus that timestamp (same machine, same clock). A stream succeeds when it answered
 * 200, ended with data: [DONE] and carried at least E events; it fails otherwise, or when it is still running
 * after the timeout (default: ramp-up + 60 s; bench/streams/streams.sh passes ramp-up + a stream's length + 60 s). A stream is open from its response head to its end; when all N
 * are open at once, "all_open <ms>" is written to the ready file, so the caller can sample the server's memory;
 * max_open says how many were open at once at most (when a slow server ends early streams before late ones open).
 * --samples FILE also writes every latency with its arrival time (ms since start), to see when a server lagged.
 * Prints one JSON object. Single thread, level-triggered epoll; raises its own RLIMIT_NOFILE.
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { CONNECTING, SENDING, HEAD, BODY, FINISHED };
enum { CS_SIZE, CS_DATA, CS_CRLF, CS_TRAILER };
/* How a stream failed; an early end is told apart by where (before the response head or in the body) and how
 * (reset, or an orderly close), which says whether the server refused the connection or dropped the stream. */
enum { F_CONNECT, F_STATUS, F_RESET_HEAD, F_CLOSED_HEAD, F_RESET_BODY, F_CLOSED_BODY, F_NO_DONE, F_FEW_EVENTS,
       F_TIMEOUT_CONNECTING, F_TIMEOUT_HEAD, F_TIMEOUT_BODY, F_KINDS };
static const char *FAIL_NAMES[F_KINDS] = {"connect", "status", "reset_before_head", "closed_before_head",
    "reset_in_body", "closed_in_body", "no_done", "few_events", "timeout_connecting", "timeout_before_head",
    "timeout_in_body"};

typedef struct stream {
    int fd, state, status, chunked, chunk_state, done, events, open;
    long long body_left;            /* content-length left; -1: until close or last chunk */
    long long chunk_left;
    uint64_t t_open;                /* when its connect began */
    char last[200]; int last_len;   /* its last non-empty body line, for the report of a failure */
    size_t sent;
    char *raw; size_t raw_len, raw_cap;   /* bytes not yet parsed (head, chunk framing) */
    char *sse; size_t sse_len, sse_cap;   /* de-chunked body not yet split into lines */
} stream;

static stream *streams;
static int n_streams, n_events_min, ep;
static char *request; static size_t request_len;
static uint64_t *lat; static size_t lat_len, lat_cap;
static uint64_t *first; static size_t first_len;  /* per stream: connect to first event (ns) */
static char fail_example[600];                     /* the first failed stream: cause, events, last line */
static FILE *samples;                               /* --samples FILE: "ms since start, latency µs" per event */
static long long events_total, events_untimed;
static int fails[F_KINDS], ok, n_open, max_open, n_finished, first_bad_status;
static uint64_t t0, all_open_at, all_open_end;
static const char *ready_file;
static struct sockaddr_in target;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) { perror(what); exit(1); }

static void grow(char **buf, size_t *cap, size_t need) {
    if (need <= *cap) return;
    size_t cap2 = *cap ? *cap : 2048;
    while (cap2 < need) cap2 *= 2;
    if (!(*buf = realloc(*buf, cap2))) die("realloc");
    *cap = cap2;
}

static void finish(stream *s, int fail) {
    if (s->state == FINISHED) return;
    if (s->open) {
        s->open = 0;
        n_open--;
        if (all_open_at && !all_open_end) all_open_end = now_ns();  /* the first end after all were open */
    }
    if (fail < 0) {
        if (s->status != 200) fail = F_STATUS;
        else if (!s->done) fail = F_NO_DONE;
        else if (s->events < n_events_min) fail = F_FEW_EVENTS;
    }
    if (fail < 0) ok++; else fails[fail]++;
    if (fail >= 0 && !fail_example[0]) {  /* JSON-escaped: quotes, backslashes and control bytes dropped or escaped */
        int n = snprintf(fail_example, sizeof fail_example, "{\"cause\":\"%s\",\"status\":%d,\"events\":%d,\"last_line\":\"",
            FAIL_NAMES[fail], s->status, s->events);
        for (int i = 0; i < s->last_len && n < (int)sizeof fail_example - 8; i++) {
            unsigned char c = (unsigned char)s->last[i];
            if (c == '"' || c == '\\') { fail_example[n++] = '\\'; fail_example[n++] = (char)c; }
            else if (c >= 0x20) fail_example[n++] = (char)c;
        }
        snprintf(fail_example + n, sizeof fail_example - (size_t)n, "\"}");
    }
    if (fail == F_STATUS && !first_bad_status) first_bad_status = s->status;
    s->state = FINISHED;
    n_finished++;
    if (s->fd >= 0) close(s->fd);
    s->fd = -1;
    free(s->raw); free(s->sse);
    s->raw = s->sse = NULL;
    s->raw_cap = s->sse_cap = s->raw_len = s->sse_len = 0;
}

/* Complete lines of the SSE body: each data line is an event; the ones with a timestamp give a latency. */
static void sse_lines(stream *s, uint64_t now) {
    size_t start = 0;
    if (!s->sse) return;
    for (;;) {
        char *nl = memchr(s->sse + start, '\n', s->sse_len - start);
        if (!nl) break;
        char *line = s->sse + start;
        size_t len = (size_t)(nl - line);
        start += len + 1;
        if (len && line[len - 1] == '\r') len--;
        if (len) {
            s->last_len = len < sizeof s->last ? (int)len : (int)sizeof s->last;
            memcpy(s->last, line, (size_t)s->last_len);
        }
        if (len < 5 || memcmp(line, "data:", 5) != 0) continue;
        char *data = line + 5, *end = line + len;
        while (data < end && *data == ' ') data++;
        if (end - data >= 6 && memcmp(data, "[DONE]", 6) == 0) { s->done = 1; continue; }
        if (s->events++ == 0) first[first_len++] = now - s->t_open;
        events_total++;
        char *ts = memmem(data, (size_t)(end - data), "\"system_fingerprint\":\"ts_", 25);
        if (!ts) { events_untimed++; continue; }
        uint64_t sent = strtoull(ts + 25, NULL, 10);
        if (lat_len == lat_cap) {
            lat_cap = lat_cap ? lat_cap * 2 : 65536;
            if (!(lat = realloc(lat, lat_cap * sizeof *lat))) die("realloc");
        }
        lat[lat_len++] = now > sent ? now - sent : 0;
        if (samples) fprintf(samples, "%.1f %.1f\n", (double)(now - t0) / 1e6, (double)lat[lat_len - 1] / 1e3);
    }
    if (!start) return;
    s->sse_len -= start;
    memmove(s->sse, s->sse + start, s->sse_len);
}

static void body_bytes(stream *s, const char *p, size_t n) {
    grow(&s->sse, &s->sse_cap, s->sse_len + n);
    memcpy(s->sse + s->sse_len, p, n);
    s->sse_len += n;
}

/* Parses what arrived; returns 1 when the body is complete. */
static int parse(stream *s, uint64_t now) {
    size_t pos = 0;
    if (s->state == HEAD) {
        char *end = memmem(s->raw, s->raw_len, "\r\n\r\n", 4);
        if (!end) return 0;
        *end = 0;
        s->status = (s->raw_len > 12 && strncmp(s->raw, "HTTP/1.", 7) == 0) ? atoi(s->raw + 9) : 0;
        s->body_left = -1;
        for (char *p = s->raw; (p = strchr(p, '\n')); p++) {
            if (strncasecmp(p + 1, "content-length:", 15) == 0) s->body_left = atoll(p + 16);
            if (strncasecmp(p + 1, "transfer-encoding:", 18) == 0 && strcasestr(p + 19, "chunked")) s->chunked = 1;
        }
        pos = (size_t)(end - s->raw) + 4;
        s->state = BODY;
        if (s->status == 200 && !s->open) {
            s->open = 1;
            if (++n_open > max_open) max_open = n_open;
            if (n_open == n_streams && !all_open_at) {
                all_open_at = now;
                if (ready_file) {
                    FILE *f = fopen(ready_file, "w");
                    if (f) { fprintf(f, "all_open %.1f\n", (double)(now - t0) / 1e6); fclose(f); }
                }
            }
        }
        if (!s->chunked && s->body_left == 0) return 1;
    }
    int complete = 0;
    while (pos < s->raw_len && !complete) {
        char *p = s->raw + pos;
        size_t avail = s->raw_len - pos;
        if (!s->chunked) {
            size_t take = s->body_left >= 0 && (size_t)s->body_left < avail ? (size_t)s->body_left : avail;
            body_bytes(s, p, take);
            pos += take;
            if (s->body_left >= 0 && (s->body_left -= (long long)take) == 0) complete = 1;
        } else if (s->chunk_state == CS_DATA) {
            size_t take = (size_t)s->chunk_left < avail ? (size_t)s->chunk_left : avail;
            body_bytes(s, p, take);
            pos += take;
            if ((s->chunk_left -= (long long)take) == 0) s->chunk_state = CS_CRLF;
        } else {
            char *nl = memmem(p, avail, "\r\n", 2);
            if (!nl) break;
            pos += (size_t)(nl - p) + 2;
            if (s->chunk_state == CS_CRLF) s->chunk_state = CS_SIZE;
            else if (s->chunk_state == CS_TRAILER) { if (nl == p) complete = 1; }
            else if ((s->chunk_left = strtoll(p, NULL, 16)) == 0) s->chunk_state = CS_TRAILER;
            else s->chunk_state = CS_DATA;
        }
    }
    s->raw_len -= pos;
    memmove(s->raw, s->raw + pos, s->raw_len);
    sse_lines(s, now);
    return complete;
}

static void on_event(stream *s, uint32_t events) {
    if (s->state == CONNECTING) {
        int err = 0; socklen_t len = sizeof err;
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) { finish(s, F_CONNECT); return; }
        s->state = SENDING;
    }
    if (s->state == SENDING) {
        ssize_t n = send(s->fd, request + s->sent, request_len - s->sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n < 0) { finish(s, errno == ECONNRESET || errno == EPIPE ? F_RESET_HEAD : F_CLOSED_HEAD); return; }
        if ((s->sent += (size_t)n) < request_len) return;
        s->state = HEAD;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)(s - streams)};
        if (epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev) < 0) die("epoll_ctl mod");
        return;
    }
    if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
    for (;;) {
        grow(&s->raw, &s->raw_cap, s->raw_len + 8192);
        ssize_t n = recv(s->fd, s->raw + s->raw_len, s->raw_cap - s->raw_len, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        uint64_t now = now_ns();
        if (n <= 0) {  /* closed: the end of a close-delimited body, an early end otherwise */
            if (s->state == BODY && !s->chunked && s->body_left < 0) { parse(s, now); finish(s, -1); }
            else if (s->status && s->status != 200) finish(s, F_STATUS);
            else if (s->state == BODY) finish(s, n < 0 && errno == ECONNRESET ? F_RESET_BODY : F_CLOSED_BODY);
            else finish(s, n < 0 && errno == ECONNRESET ? F_RESET_HEAD : F_CLOSED_HEAD);
            return;
        }
        s->raw_len += (size_t)n;
        if (parse(s, now)) { finish(s, -1); return; }
    }
}

static void open_stream(int i) {
    stream *s = &streams[i];
    s->t_open = now_ns();
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0) { perror("stream_load: socket"); finish(s, F_CONNECT); return; }
    int one = 1;
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(s->fd, (struct sockaddr *)&target, sizeof target) < 0 && errno != EINPROGRESS) {
        finish(s, F_CONNECT);
        return;
    }
    s->state = CONNECTING;
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev) < 0) die("epoll_ctl add");
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}
static double pct_us(const uint64_t *v, size_t n, double q) {
    if (!n) return -1;
    return (double)v[(size_t)(q * (double)(n - 1) + 0.5)] / 1000.0;
}

int main(int argc, char **argv) {
    int port = 0;
    double rate = 1000, timeout = -1;
    const char *path = "/v1/chat/completions", *body_file = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--path")) path = argv[i + 1];
        else if (!strcmp(argv[i], "--body")) body_file = argv[i + 1];
        else if (!strcmp(argv[i], "--streams")) n_streams = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--events")) n_events_min = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rate")) rate = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--timeout")) timeout = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--ready-file")) ready_file = argv[i + 1];
        else if (!strcmp(argv[i], "--samples")) { if (!(samples = fopen(argv[i + 1], "w"))) die(argv[i + 1]); }
        else { fprintf(stderr, "stream_load: unknown option %s\n", argv[i]); return 2; }
    }
    if (!port || !body_file || n_streams < 1 || rate <= 0) {
        fprintf(stderr, "usage: stream_load --port P --path PATH --body FILE --streams N --events E [--rate R] "
            "[--timeout S] [--ready-file FILE] [--samples FILE]\n");
        return 2;
    }
    if (timeout < 0) timeout = n_streams / rate + 60;

    /* One descriptor per stream, plus a few: take the hard limit, or more when allowed (root). */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rlim_t need = (rlim_t)n_streams + 64;
    if (rl.rlim_max < need) { struct rlimit want = {need, need}; if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want; }
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);

    FILE *f = fopen(body_file, "rb");
    if (!f) die(body_file);
    char body[65536];
    size_t body_len = fread(body, 1, sizeof body, f);
    fclose(f);
    if (!(request = malloc(body_len + 512))) die("malloc");
    request_len = (size_t)snprintf(request, 512, "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
        "Accept: text/event-stream\r\nAuthorization: Bearer sk-bench-client\r\nContent-Length: %zu\r\n\r\n",
        path, port, body_len);
    memcpy(request + request_len, body, body_len);
    request_len += body_len;

    target.sin_family = AF_INET;
    target.sin_port = htons((uint16_t)port);
    target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!(streams = calloc((size_t)n_streams, sizeof *streams))) die("calloc");
    if (!(first = calloc((size_t)n_streams, sizeof *first))) die("calloc");
    for (int i = 0; i < n_streams; i++) streams[i].fd = -1;
    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) die("epoll_create1");

    t0 = now_ns();
    uint64_t deadline = t0 + (uint64_t)(timeout * 1e9);
    int opened = 0;
    struct epoll_event evs[1024];
    while (n_finished < n_streams) {
        uint64_t now = now_ns();
        if (now >= deadline) break;
        /* Ramp-up: as many connections as the rate allows by now. */
        int due = (int)((double)(now - t0) * rate / 1e9) + 1;
        while (opened < n_streams && opened < due) open_stream(opened++);
        int wait_ms = (int)((deadline - now) / 1000000) + 1;
        if (opened < n_streams) {
            uint64_t next = t0 + (uint64_t)((double)opened * 1e9 / rate);
            wait_ms = next > now ? (int)((next - now + 999999) / 1000000) : 0;
        }
        int n = epoll_wait(ep, evs, 1024, wait_ms);
        if (n < 0 && errno != EINTR) die("epoll_wait");
        for (int i = 0; i < n; i++) on_event(&streams[evs[i].data.u32], evs[i].events);
    }
    uint64_t t_end = now_ns();
    for (int i = 0; i < n_streams; i++) {
        /* Still connecting (a SYN the server's full listen queue dropped is retried after 1, 3, 7, 15, 31 s),
         * waiting for the head, or mid-body when the deadline came. */
        int state = streams[i].state;
        if (state != FINISHED)
            finish(&streams[i], state == BODY ? F_TIMEOUT_BODY : state == HEAD ? F_TIMEOUT_HEAD : F_TIMEOUT_CONNECTING);
    }

    if (samples) fclose(samples);
    qsort(lat, lat_len, sizeof *lat, cmp_u64);
    qsort(first, first_len, sizeof *first, cmp_u64);
    printf("{\"streams\":%d,\"ok\":%d,\"failed\":%d,\"failures\":{", n_streams, ok, n_streams - ok);
    for (int k = 0; k < F_KINDS; k++) printf("%s\"%s\":%d", k ? "," : "", FAIL_NAMES[k], fails[k]);
    printf("},\"first_bad_status\":%d,\"events_expected\":%d,\"events\":%lld,\"events_untimed\":%lld,"
        "\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,\"duration_s\":%.3f,\"rate\":%.0f,"
        "\"max_open\":%d", first_bad_status, n_events_min, events_total, events_untimed, pct_us(lat, lat_len, 0.50),
        pct_us(lat, lat_len, 0.99), pct_us(lat, lat_len, 0.999), pct_us(lat, lat_len, 1.0), (double)(t_end - t0) / 1e9,
        rate, max_open);
    /* Connect to first event: includes the mock's start offset (up to one gap) and any wait to be accepted. */
    printf(",\"first_event_ms\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f}", pct_us(first, first_len, 0.5) / 1000,
        pct_us(first, first_len, 0.99) / 1000, pct_us(first, first_len, 1.0) / 1000);
    if (fail_example[0]) printf(",\"first_failure\":%s", fail_example);
    if (all_open_at && all_open_end)
        printf(",\"all_open_from_s\":%.3f,\"all_open_to_s\":%.3f}\n", (double)(all_open_at - t0) / 1e9,
            (double)(all_open_end - t0) / 1e9);
    else
        printf(",\"all_open_from_s\":null,\"all_open_to_s\":null}\n");
    return 0;
}
