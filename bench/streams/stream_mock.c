/* A mock OpenAI streaming upstream for bench/run.sh --streams (C, no dependencies, Linux).
 *
 * Usage: stream_mock PORT        (127.0.0.1 only; PORT 0 picks a free port; prints "listening on 127.0.0.1:P")
 *
 * POST .../chat/completions with "stream": true answers text/event-stream, chunked (as OpenAI does), with E
 * chat.completion.chunk events one every G ms: role first, content deltas, a finish_reason chunk, a usage chunk
 * when the request asked for stream_options.include_usage, then data: [DONE]. Each chunk carries its send time
 * as "system_fingerprint":"ts_<CLOCK_MONOTONIC ns>": a proxy and the gateway's policies relay that member
 * untouched, so a client on the same machine measures each event's relay latency. E and G come from the
 * path (/e20/g500/v1/chat/completions) or the query (?events=20&gap_ms=500), so a gateway target's base_url
 * selects them; defaults 20 and 500. Any other POST gets a small chat.completion, a GET gets 200 {"status":"ok"}.
 *
 * Single thread, level-triggered epoll, keep-alive, never blocks: a write that would block is kept in the
 * connection's buffer until EPOLLOUT. Per-stream timers live in one binary heap. The first event of a stream
 * fires at a random offset within the gap, so thousands of streams do not fire in one burst.
 * On SIGTERM/SIGINT it prints its counters to stderr and exits.
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
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

#define MAX_INPUT (1 << 20) /* a request larger than this is refused (the bench's is ~1 KB) */
#define MODEL "gpt-4o-mini-2024-07-18"

typedef struct conn {
    int fd, heap_idx;           /* heap_idx -1: no timer pending */
    char *in; size_t in_len, in_cap;
    char *out; size_t out_len, out_off, out_cap;
    int streaming, events, sent, usage, want_out;
    uint64_t gap_ns, next_ns;
    unsigned stream_id;
    long created;
} conn;

static conn **conns;            /* by fd */
static int max_fds, ep;
static conn **heap;
static int heap_len;
static volatile sig_atomic_t stop;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static unsigned long long n_accepted, n_streams, n_completed, n_events, n_open, n_open_max;

static const char *WORDS[] = {"Set", "backoffLimit", "low,", "1", "or", "2,", "because", "a", "forty-minute", "job",
    "that", "fails", "halfway", "usually", "fails", "again", "for", "the", "same", "reason,", "and", "every",
    "retry", "doubles", "the", "load.", "Keep", "concurrencyPolicy:", "Forbid", "so", "a", "slow", "run", "is",
    "never", "overlapped."};
#define N_WORDS (sizeof WORDS / sizeof WORDS[0])

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t next_rand(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

static void die(const char *what) { perror(what); exit(1); }

/* ---- the timer heap (min by next_ns); each conn knows its index so it can be removed when it closes */

static void heap_swap(int a, int b) {
    conn *t = heap[a]; heap[a] = heap[b]; heap[b] = t;
    heap[a]->heap_idx = a; heap[b]->heap_idx = b;
}
static void heap_up(int i) {
    while (i > 0 && heap[(i - 1) / 2]->next_ns > heap[i]->next_ns) { heap_swap(i, (i - 1) / 2); i = (i - 1) / 2; }
}
static void heap_down(int i) {
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < heap_len && heap[l]->next_ns < heap[m]->next_ns) m = l;
        if (r < heap_len && heap[r]->next_ns < heap[m]->next_ns) m = r;
        if (m == i) return;
        heap_swap(i, m); i = m;
    }
}
static void heap_push(conn *c) { heap[heap_len] = c; c->heap_idx = heap_len++; heap_up(c->heap_idx); }
static void heap_remove(conn *c) {
    int i = c->heap_idx;
    if (i < 0) return;
    c->heap_idx = -1;
    if (i != --heap_len) { heap[i] = heap[heap_len]; heap[i]->heap_idx = i; heap_down(i); heap_up(i); }
}

/* ---- connections */

static void close_conn(conn *c) {
    heap_remove(c);
    if (c->streaming) n_open--;
    conns[c->fd] = NULL;
    close(c->fd);
    free(c->in); free(c->out); free(c);
}

static void set_events(conn *c, int want_out) {
    if (c->want_out == want_out) return;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (want_out ? EPOLLOUT : 0), .data.fd = c->fd};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl mod");
    c->want_out = want_out;
}

static void append(conn *c, const char *p, size_t n) {
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 1024;
        while (cap < c->out_len + n) cap *= 2;
        if (!(c->out = realloc(c->out, cap))) die("realloc");
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
}

/* Returns -1 when the connection was closed. */
static int flush(conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) { set_events(c, 1); return 0; }
        if (n <= 0) { close_conn(c); return -1; }
        c->out_off += (size_t)n;
    }
    c->out_off = c->out_len = 0;
    set_events(c, 0);
    return 0;
}

/* One SSE event as its own HTTP chunk, as OpenAI sends them. */
static void append_event(conn *c, const char *json, int len) {
    char head[32];
    int h = snprintf(head, sizeof head, "%x\r\n", len + 8);
    append(c, head, (size_t)h);
    append(c, "data: ", 6);
    append(c, json, (size_t)len);
    append(c, "\n\n\r\n", 4);
}

static int chunk_json(char *buf, size_t cap, conn *c, const char *choices_and_rest) {
    return snprintf(buf, cap, "{\"id\":\"chatcmpl-mock%08x\",\"object\":\"chat.completion.chunk\",\"created\":%ld,"
        "\"model\":\"" MODEL "\",\"system_fingerprint\":\"ts_%llu\",%s}", c->stream_id, c->created,
        (unsigned long long)now_ns(), choices_and_rest);
}

/* Sends the stream's next event; after the last, ends the stream and serves any request already buffered. */
static void handle_request(conn *c);
static void send_event(conn *c) {
    char body[512], json[1024];
    int i = c->sent++;
    if (i == 0) {
        snprintf(body, sizeof body, "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\","
            "\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}]");
    } else if (i < c->events - 1) {
        size_t w = (size_t)(i - 1) * 3;  /* three words per delta, the sentence repeated */
        snprintf(body, sizeof body, "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s%s %s %s\"},"
            "\"logprobs\":null,\"finish_reason\":null}]", i == 1 ? "" : " ", WORDS[w % N_WORDS],
            WORDS[(w + 1) % N_WORDS], WORDS[(w + 2) % N_WORDS]);
    } else {
        snprintf(body, sizeof body, "\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]");
    }
    append_event(c, json, chunk_json(json, sizeof json, c, body));
    n_events++;
    if (c->sent < c->events) {
        c->next_ns += c->gap_ns;
        heap_push(c);
        flush(c);
        return;
    }
    if (c->usage) {
        int tokens = 3 * (c->events - 2);
        snprintf(body, sizeof body, "\"choices\":[],\"usage\":{\"prompt_tokens\":213,\"completion_tokens\":%d,"
            "\"total_tokens\":%d,\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"
            "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,"
            "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}", tokens, 213 + tokens);
        append_event(c, json, chunk_json(json, sizeof json, c, body));
    }
    append_event(c, "[DONE]", 6);
    append(c, "0\r\n\r\n", 5);
    c->streaming = 0;
    n_open--;
    n_completed++;
    if (flush(c) == 0) handle_request(c);
}

/* Whether "key": true is in a JSON body, found by text (the mock's own clients send flat JSON); an occurrence
 * of the key's text as a value ("model":"stream") is skipped because no colon follows it. */
static int json_true(const char *body, size_t len, const char *key) {
    const char *p = body, *end = body + len;
    size_t kl = strlen(key);
    while ((p = memmem(p, (size_t)(end - p), key, kl))) {
        p += kl;
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
        if (p >= end || *p != ':') continue;
        p++;
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
        return end - p >= 4 && memcmp(p, "true", 4) == 0;
    }
    return 0;
}

static long path_number(const char *path, size_t len, const char *seg, const char *query, long dflt) {
    const char *p = path, *end = path + len;
    size_t sl = strlen(seg), ql = strlen(query);
    for (; p < end; p++) {
        if (*p == '/' && (size_t)(end - p) > sl && memcmp(p + 1, seg, sl) == 0 && p[sl + 1] >= '0' && p[sl + 1] <= '9')
            return strtol(p + 1 + sl, NULL, 10);
        if ((*p == '?' || *p == '&') && (size_t)(end - p) > ql && memcmp(p + 1, query, ql) == 0)
            return strtol(p + 1 + ql, NULL, 10);
    }
    return dflt;
}

static void respond(conn *c, const char *status, const char *body) {
    char head[256];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
        "Connection: keep-alive\r\n\r\n", status, strlen(body));
    append(c, head, (size_t)n);
    append(c, body, strlen(body));
}

/* Serves the first complete request in the input buffer, if any (none while a stream is running). */
static void handle_request(conn *c) {
    if (c->streaming || c->in_len == 0) return;
    char *hend = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (!hend) return;
    size_t head_len = (size_t)(hend - c->in) + 4, body_len = 0;
    for (char *p = c->in; p < hend; p++) {
        if (p[0] == '\n' && strncasecmp(p + 1, "content-length:", 15) == 0) body_len = strtoul(p + 16, NULL, 10);
    }
    if (body_len > MAX_INPUT) { close_conn(c); return; }
    if (c->in_len < head_len + body_len) return;
    const char *sp1 = memchr(c->in, ' ', head_len), *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(hend - sp1 - 1)) : NULL;
    if (!sp2) { close_conn(c); return; }
    const char *path = sp1 + 1, *body = c->in + head_len;
    size_t path_len = (size_t)(sp2 - path);
    int post = strncmp(c->in, "POST ", 5) == 0;
    if (post && memmem(path, path_len, "/chat/completions", 17) && json_true(body, body_len, "\"stream\"")) {
        long events = path_number(path, path_len, "e", "events=", 20);
        long gap = path_number(path, path_len, "g", "gap_ms=", 500);
        c->events = events < 2 ? 2 : (int)events;  /* the role chunk and the finish chunk at least */
        c->gap_ns = (uint64_t)(gap < 1 ? 1 : gap) * 1000000ULL;
        c->usage = json_true(body, body_len, "\"include_usage\"");
        c->sent = 0;
        c->streaming = 1;
        c->stream_id = (unsigned)++n_streams;
        c->created = (long)time(NULL);
        if (++n_open > n_open_max) n_open_max = n_open;
        c->next_ns = now_ns() + next_rand() % c->gap_ns;  /* jitter: spread the streams over the gap */
        heap_push(c);
        static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
            "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n";
        append(c, head, sizeof head - 1);
    } else if (post && memmem(path, path_len, "/chat/completions", 17)) {
        respond(c, "200 OK", "{\"id\":\"chatcmpl-mock\",\"object\":\"chat.completion\",\"created\":1732752000,"
            "\"model\":\"" MODEL "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
            "\"Set backoffLimit low.\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
            "\"usage\":{\"prompt_tokens\":213,\"completion_tokens\":5,\"total_tokens\":218}}");
    } else if (!post) {
        respond(c, "200 OK", "{\"status\":\"ok\"}");
    } else {
        respond(c, "404 Not Found", "{\"error\":{\"message\":\"not found\",\"type\":\"invalid_request_error\"}}");
    }
    c->in_len -= head_len + body_len;
    memmove(c->in, c->in + head_len + body_len, c->in_len);
    if (flush(c) == 0 && !c->streaming) handle_request(c);  /* pipelined requests */
}

static void on_readable(conn *c) {
    for (;;) {
        if (c->in_cap - c->in_len < 2048) {
            if (c->in_cap >= MAX_INPUT) { close_conn(c); return; }
            c->in_cap = c->in_cap ? c->in_cap * 2 : 4096;
            if (!(c->in = realloc(c->in, c->in_cap))) die("realloc");
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) { close_conn(c); return; }
        c->in_len += (size_t)n;
    }
    handle_request(c);
}

static void on_accept(int lfd) {
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE) fprintf(stderr, "stream_mock: accept: out of file descriptors\n");
            return;
        }
        if (fd >= max_fds) { close(fd); continue; }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  /* one small write per event */
        conn *c = calloc(1, sizeof *c);
        if (!c) die("calloc");
        c->fd = fd; c->heap_idx = -1; c->want_out = 0;
        conns[fd] = c;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl add");
        n_accepted++;
    }
}

static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: stream_mock PORT\n"); return 2; }
    /* Thousands of streams need as many descriptors: take the hard limit, or more when allowed (root). */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_max < 65536) { struct rlimit want = {65536, 65536}; if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want; }
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    max_fds = rl.rlim_cur > 1048576 ? 1048576 : (int)rl.rlim_cur;
    conns = calloc((size_t)max_fds, sizeof *conns);
    heap = calloc((size_t)max_fds, sizeof *heap);
    if (!conns || !heap) die("calloc");
    rng ^= (uint64_t)getpid() << 20 ^ now_ns();

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    if (lfd < 0) die("socket");
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
    if (listen(lfd, 65535) < 0) die("listen");
    socklen_t alen = sizeof addr;
    getsockname(lfd, (struct sockaddr *)&addr, &alen);
    printf("listening on 127.0.0.1:%d (max %d descriptors)\n", ntohs(addr.sin_port), max_fds);
    fflush(stdout);

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) die("epoll_create1");
    struct epoll_event lev = {.events = EPOLLIN, .data.fd = lfd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) < 0) die("epoll_ctl listen");

    struct epoll_event evs[512];
    while (!stop) {
        int timeout = -1;
        if (heap_len) {
            uint64_t now = now_ns(), due = heap[0]->next_ns;
            timeout = due <= now ? 0 : (int)((due - now + 999999) / 1000000);  /* ms, rounded up */
        }
        int n = epoll_wait(ep, evs, 512, timeout);
        if (n < 0 && errno != EINTR) die("epoll_wait");
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == lfd) { on_accept(lfd); continue; }
            conn *c = conns[fd];
            if (!c) continue;
            if (evs[i].events & EPOLLOUT) { if (flush(c) < 0) continue; if (!c->streaming) handle_request(c); }
            if (!(c = conns[fd])) continue;
            if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable(c);
        }
        uint64_t now = now_ns();
        while (heap_len && heap[0]->next_ns <= now) {
            conn *c = heap[0];
            heap_remove(c);
            send_event(c);
        }
    }
    fprintf(stderr, "stream_mock: %llu connections accepted, %llu streams started, %llu completed, %llu events, "
        "%llu open at most\n", n_accepted, n_streams, n_completed, n_events, n_open_max);
    return 0;
}
