/*
 * smoke_host.c: a small mock of gatewayhost's plugin side, for checking a PolicyABI v1 plugin by hand
 * without building the gateway. It loads ONE plugin .so with the same descriptor checks as the real
 * loader, runs create -> exchange_begin -> on_request -> (on_stream_chunk* + on_stream_end | on_response)
 * -> exchange_end -> destroy for one exchange, enforces the verdict rules of policy_abi.h, and prints
 * what happened.
 *
 *   cc -std=c11 -Wall -Wextra -Werror -O2 -I Sources/PolicyABI/include -o smoke_host Tests/abi/smoke_host.c -ldl
 *   ./smoke_host ./my-policy.so --config '{"keywords":["foo"]}' --seg 'user:say foo' --delta 'x' --delta 'y'
 *
 * Options:
 *   --name NAME       chain entry name (default: the descriptor's name)
 *   --config JSON     the canonical config (default {})
 *   --seg ROLE:TEXT   a request text segment (repeatable). Default: system "You are terse." and
 *                     user "Hello SECRET-42, how are you?"
 *   --response TEXT   a non-streamed response with one output segment per --response
 *   --delta TEXT      a streamed response: one SSE event per --delta, each with one delta segment;
 *                     "@N:TEXT" puts the delta in choice N. A final "[DONE]" event follows.
 *   --done no         leave out the final "[DONE]" event (a stream that breaks off)
 *   --tag KEY=VALUE   a tag an earlier policy set (full key, e.g. "first.seen_request")
 *   --timeout-ms N    the hook budget (default 1000)
 *   --repeat N        run the exchange N times on one instance (default 1)
 *
 * It prints each hook's verdict, the tags and counters, and for streams the text each choice's client
 * would read (client_text[N]) after replacements, drops and inserted deltas.
 *
 * Exit status: 0 the exchange ran (whatever the verdict), 2 the loader refused the plugin, 3 create
 * failed, 4 the plugin broke a rule of the ABI (or returned PAB_VERDICT_ERROR), 64 bad usage.
 * Single-threaded: it checks behaviour, not reentrancy.
 */
#define _POSIX_C_SOURCE 200809L
#include "policy_abi.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ITEMS 64
#define MAX_TAGS 256

enum phase { PH_CREATE, PH_BEGIN, PH_REQUEST, PH_RESPONSE, PH_CHUNK, PH_STREAM_END, PH_END };
static const char *phase_names[] = {"create", "exchange_begin", "on_request", "on_response", "on_stream_chunk",
                                    "on_stream_end", "exchange_end"};

typedef struct segment {
    pab_segment_kind kind;
    char *role, *text;
    uint32_t item;
} segment;

/* The host's side of the opaque handles. */
struct pab_call {
    enum phase phase;
    segment *segs;
    uint32_t nsegs;
    uint64_t deadline;
    int denied, seg_replaced, body_replaced;
    uint32_t deny_status;
    char deny_code[128], deny_message[512], error[512];
    uint32_t ninserted; /* insert_delta calls of this hook */
    uint32_t inserted_item[16];
    char *inserted_text[16];
};
struct pab_host_instance {
    char policy[80];
};

static pab_plugin plugin; /* the zero-extended copy of the descriptor */
static struct pab_host_instance hinst;
static int in_create;
static char *tag_keys[MAX_TAGS], *tag_values[MAX_TAGS];
static uint32_t ntags;
static char *counter_names[64];
static uint64_t counter_values[64];
static uint32_t ncounters;
/* The segments from the command line (cfg_*), and the working copies one exchange may change. */
static segment cfg_req[MAX_ITEMS], cfg_resp[MAX_ITEMS], cfg_delta[MAX_ITEMS];
static segment req_segs[MAX_ITEMS], resp_segs[MAX_ITEMS], delta_segs[MAX_ITEMS];
static uint32_t nreq, nresp, ndelta;
static int stream, send_done = 1;
/* What the client would read, per choice: the stream's delta texts after every change. */
static char *client_text[MAX_ITEMS];

static char *dup_view(pab_view v) {
    char *s = malloc(v.len + 1);
    if (!s) abort();
    if (v.len) memcpy(s, v.ptr, v.len);
    s[v.len] = '\0';
    return s;
}
static char *dup_str(const char *s) { return dup_view((pab_view){(const uint8_t *)s, strlen(s)}); }
static pab_view view(const char *s) { return (pab_view){(const uint8_t *)s, s ? strlen(s) : 0}; }
static int view_eq(pab_view v, const char *s) { return v.len == strlen(s) && memcmp(v.ptr, s, v.len) == 0; }
static void copy_view(char *dst, size_t cap, pab_view v) {
    size_t n = v.len < cap - 1 ? v.len : cap - 1;
    if (n) memcpy(dst, v.ptr, n);
    dst[n] = '\0';
}

static uint64_t h_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void h_log(pab_host_instance *hi, pab_log_level level, pab_view msg) {
    static const char *names[] = {"trace", "debug", "info", "warn", "error"};
    printf("log[%s] %s: %.*s\n", level <= PAB_LOG_ERROR ? names[level] : "?", hi ? hi->policy : "(file)",
           (int)msg.len, (const char *)msg.ptr);
}
static uint32_t h_log_enabled(pab_log_level level) { return level >= PAB_LOG_DEBUG; }

static pab_rc h_get_header(pab_call *c, pab_header_set set, pab_view name, pab_view *out) {
    (void)c;
    if (set == PAB_HEADERS_REQUEST && name.len == 12 && strncmp((const char *)name.ptr, "content-type", 12) == 0) {
        *out = view("application/json");
        return PAB_OK;
    }
    return PAB_ERR_NOT_FOUND;
}
static pab_rc h_set_header(pab_call *c, pab_header_set set, pab_view name, pab_view value) {
    if (set == PAB_HEADERS_REQUEST && c->phase != PH_REQUEST) return PAB_ERR_INVALID;
    if (set != PAB_HEADERS_REQUEST && set != PAB_HEADERS_RESPONSE) return PAB_ERR_INVALID;
    if (view_eq(name, "authorization") || view_eq(name, "host")) return PAB_ERR_INVALID;
    printf("  set_header %.*s: %.*s\n", (int)name.len, (const char *)name.ptr, (int)value.len,
           (const char *)value.ptr);
    return PAB_OK;
}

static pab_rc h_get_attribute(pab_call *c, uint32_t id, pab_view *out) {
    const char *v = NULL;
    switch (id) {
    case PAB_ATTR_REQUEST_ID: v = "req-smoke-1"; break;
    case PAB_ATTR_ROUTE: v = "/v1/chat/completions"; break;
    case PAB_ATTR_MODEL: v = "gpt-smoke"; break;
    case PAB_ATTR_CLIENT_ID: v = "anonymous"; break;
    case PAB_ATTR_CLIENT_IP: v = "127.0.0.1"; break;
    case PAB_ATTR_POLICY_NAME: v = hinst.policy; break;
    case PAB_ATTR_PACK_NAME: v = "smoke"; break;
    case PAB_ATTR_PACK_VERSION: v = "0.0.0"; break;
    case PAB_ATTR_STREAM: v = stream ? "true" : "false"; break;
    case PAB_ATTR_STATUS: v = c->phase == PH_END ? "200" : NULL; break;
    case PAB_ATTR_LATENCY_MS: v = c->phase == PH_END ? "3" : NULL; break;
    default: break;
    }
    if (!v) return PAB_ERR_NOT_FOUND;
    *out = view(v);
    return PAB_OK;
}

static int find_tag(pab_view key) {
    for (uint32_t i = 0; i < ntags; i++)
        if (view_eq(key, tag_keys[i])) return (int)i;
    return -1;
}
static void put_tag(const char *full_key, pab_view value) {
    int i = find_tag(view(full_key));
    if (i >= 0) {
        free(tag_values[i]);
        tag_values[i] = dup_view(value);
        return;
    }
    tag_keys[ntags] = dup_str(full_key);
    tag_values[ntags++] = dup_view(value);
}
static pab_rc h_set_tag(pab_call *c, pab_view key, pab_view value) {
    (void)c;
    if (key.len == 0 || key.len > 128 || value.len > 4096) return PAB_ERR_INVALID;
    char full[256];
    snprintf(full, sizeof full, "%s.%.*s", hinst.policy, (int)key.len, (const char *)key.ptr);
    if (find_tag(view(full)) < 0 && ntags == MAX_TAGS) return PAB_ERR_INVALID;
    put_tag(full, value);
    return PAB_OK;
}
static pab_rc h_get_tag(pab_call *c, pab_view key, pab_view *out) {
    (void)c;
    int i = find_tag(key);
    if (i < 0) return PAB_ERR_NOT_FOUND;
    *out = view(tag_values[i]);
    return PAB_OK;
}
static uint32_t h_tag_count(pab_call *c) {
    (void)c;
    return ntags;
}
static pab_rc h_tag_at(pab_call *c, uint32_t i, pab_view *k, pab_view *v) {
    (void)c;
    if (i >= ntags) return PAB_ERR_NOT_FOUND;
    *k = view(tag_keys[i]);
    *v = view(tag_values[i]);
    return PAB_OK;
}

static pab_rc h_deny(pab_call *c, uint32_t status, pab_view code, pab_view message) {
    if (status != 0 && (status < 400 || status > 599)) return PAB_ERR_INVALID;
    c->denied = 1;
    c->deny_status = status ? status : 409;
    if (code.len) copy_view(c->deny_code, sizeof c->deny_code, code);
    else snprintf(c->deny_code, sizeof c->deny_code, "%s", c->phase == PH_REQUEST ? "input_blocked" : "output_blocked");
    copy_view(c->deny_message, sizeof c->deny_message, message);
    return PAB_OK;
}

static int may_mutate(pab_call *c) {
    if (c->phase == PH_REQUEST) return (plugin.capabilities & PAB_CAP_MUTATES_REQUEST) != 0;
    if (c->phase == PH_RESPONSE || c->phase == PH_CHUNK) return (plugin.capabilities & PAB_CAP_MUTATES_RESPONSE) != 0;
    return 0;
}
static pab_rc h_replace_body(pab_call *c, pab_view body) {
    if (!may_mutate(c) || c->seg_replaced) return PAB_ERR_INVALID;
    if (c->phase == PH_REQUEST && (body.len == 0 || body.ptr[0] != '{')) return PAB_ERR_INVALID;
    c->body_replaced = 1;
    printf("  replace_body: %.*s\n", (int)body.len, (const char *)body.ptr);
    return PAB_OK;
}
static void h_set_error(pab_call *c, pab_view message) { copy_view(c->error, sizeof c->error, message); }

static int valid_utf8(pab_view v) {
    for (size_t i = 0; i < v.len;) {
        uint8_t b = v.ptr[i];
        size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > v.len) return 0;
        for (size_t k = 1; k < n; k++)
            if ((v.ptr[i + k] & 0xC0) != 0x80) return 0;
        i += n;
    }
    return 1;
}
static uint32_t h_segment_count(pab_call *c) { return c->nsegs; }
static pab_rc h_get_segment(pab_call *c, uint32_t i, pab_segment *out) {
    if (i >= c->nsegs) return PAB_ERR_NOT_FOUND;
    if (out->struct_size < sizeof(pab_segment)) return PAB_ERR_INVALID; /* v1.0 has no shorter segment */
    out->kind = c->segs[i].kind;
    out->role = view(c->segs[i].role);
    out->text = view(c->segs[i].text);
    out->item_index = c->segs[i].item;
    out->part_index = 0;
    return PAB_OK;
}
static pab_rc h_replace_segment_text(pab_call *c, uint32_t i, pab_view text) {
    if (!may_mutate(c) || c->body_replaced) return PAB_ERR_INVALID;
    if (i >= c->nsegs) return PAB_ERR_NOT_FOUND;
    if (!valid_utf8(text)) return PAB_ERR_INVALID;
    free(c->segs[i].text);
    c->segs[i].text = dup_view(text);
    c->seg_replaced = 1;
    return PAB_OK;
}

static pab_rc h_insert_delta(pab_call *c, uint32_t item, uint32_t part, pab_view text) {
    (void)part;
    if (c->phase != PH_CHUNK || !may_mutate(c) || item >= MAX_ITEMS || c->ninserted == 16) return PAB_ERR_INVALID;
    if (!valid_utf8(text)) return PAB_ERR_INVALID;
    c->inserted_item[c->ninserted] = item;
    c->inserted_text[c->ninserted++] = dup_view(text);
    return PAB_OK;
}

static pab_rc h_counter_define(pab_host_instance *hi, pab_view name, uint32_t *out) {
    (void)hi;
    if (!in_create || name.len == 0 || name.len > 64 || ncounters == 64) return PAB_ERR_INVALID;
    for (size_t k = 0; k < name.len; k++) {
        uint8_t b = name.ptr[k];
        if (!((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '_')) return PAB_ERR_INVALID;
    }
    counter_names[ncounters] = dup_view(name);
    *out = ncounters++;
    return PAB_OK;
}
static void h_counter_add(pab_host_instance *hi, uint32_t id, uint64_t delta) {
    (void)hi;
    if (id < ncounters) counter_values[id] += delta;
}
static uint64_t h_deadline_ns(pab_call *c) { return c->deadline; }

static const pab_host_api host_api = {
    .struct_size = sizeof(pab_host_api),
    .abi_major = PAB_ABI_MAJOR,
    .abi_minor = PAB_ABI_MINOR,
    .log = h_log,
    .log_enabled = h_log_enabled,
    .get_header = h_get_header,
    .set_header = h_set_header,
    .get_attribute = h_get_attribute,
    .set_tag = h_set_tag,
    .get_tag = h_get_tag,
    .tag_count = h_tag_count,
    .tag_at = h_tag_at,
    .deny = h_deny,
    .replace_body = h_replace_body,
    .set_error = h_set_error,
    .segment_count = h_segment_count,
    .get_segment = h_get_segment,
    .replace_segment_text = h_replace_segment_text,
    .insert_delta = h_insert_delta,
    .counter_define = h_counter_define,
    .counter_add = h_counter_add,
    .now_ns = h_now_ns,
    .deadline_ns = h_deadline_ns,
};

static int refuse(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("load: refused: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    return 2;
}

/* The loader's checks, in the order the real host applies them. */
static int load(const char *path) {
    void *so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!so) return refuse("not a loadable shared object: %s", dlerror());
    pab_plugin_entry_fn entry = (pab_plugin_entry_fn)(uintptr_t)dlsym(so, PAB_ENTRY_SYMBOL);
    if (!entry) {
        for (unsigned major = 2; major <= 9; major++) {
            char sym[32];
            snprintf(sym, sizeof sym, "pab_plugin_entry_v%u", major);
            if (dlsym(so, sym)) return refuse("built for PolicyABI v%u; this host speaks v1", major);
        }
        return refuse("does not export %s", PAB_ENTRY_SYMBOL);
    }
    const pab_plugin *d = entry(&host_api);
    if (!d) return refuse("%s returned NULL (the plugin refused to load)", PAB_ENTRY_SYMBOL);
    if (d->struct_size < PAB_PLUGIN_SIZE_V1_0)
        return refuse("descriptor struct_size %u is smaller than v1.0's %zu", d->struct_size, PAB_PLUGIN_SIZE_V1_0);
    memcpy(&plugin, d, d->struct_size < sizeof plugin ? d->struct_size : sizeof plugin);
    if (plugin.abi_major != PAB_ABI_MAJOR) return refuse("descriptor says abi_major %u, entry is v1", plugin.abi_major);
    if (plugin.abi_minor > PAB_ABI_MINOR)
        return refuse("built against PolicyABI 1.%u, this host supports up to 1.%u", plugin.abi_minor, PAB_ABI_MINOR);
    const char *n = plugin.name;
    size_t len = n ? strlen(n) : 0;
    int ok = len > 0 && len <= 64 && ((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= '0' && n[0] <= '9'));
    for (size_t k = 1; ok && k < len; k++)
        ok = (n[k] >= 'a' && n[k] <= 'z') || (n[k] >= '0' && n[k] <= '9') || n[k] == '-';
    if (!ok) return refuse("invalid plugin name \"%s\" (must match [a-z0-9][a-z0-9-]*, at most 64)", n ? n : "(null)");
    if (!plugin.version) return refuse("descriptor has no version");
    /* The bits of the minor this host is built for (it declares abi_minor = PAB_ABI_MINOR). It shows no
     * v1.1 segment kind, so a plugin that asks for them simply never meets one here. */
#if defined(PAB_CAP_ALL_V1_3)
    const uint64_t known_caps = PAB_CAP_ALL_V1_3; /* INLINE_SAFE: this host calls every hook on one thread anyway */
#elif defined(PAB_CAP_ALL_V1_1)
    const uint64_t known_caps = PAB_CAP_ALL_V1_1;
#else
    const uint64_t known_caps = PAB_CAP_ALL_V1_0;
#endif
    if (plugin.capabilities & ~known_caps)
        return refuse("unknown capability bits 0x%llx", (unsigned long long)(plugin.capabilities & ~known_caps));
    if (!plugin.create || !plugin.destroy) return refuse("descriptor has no create or no destroy function");
    if (!plugin.on_request && !plugin.on_response && !plugin.on_stream_chunk && !plugin.on_stream_end &&
        !plugin.exchange_begin)
        return refuse("plugin subscribes to no hook");
    if (!plugin.exchange_begin != !plugin.exchange_end)
        return refuse("exchange_begin and exchange_end must be given together");
    printf("load: ok name=%s version=%s caps=0x%llx\n", plugin.name, plugin.version,
           (unsigned long long)plugin.capabilities);
    return 0;
}

static const char *verdict_name(pab_verdict v) {
    static const char *names[] = {"ALLOW", "DENY", "MUTATE", "DROP", "ERROR"};
    return v <= PAB_VERDICT_ERROR ? names[v] : "UNKNOWN";
}

/* Checks a hook's verdict against the ABI rules, prints it, and returns it (ERROR for violations). */
static pab_verdict judge(pab_call *c, pab_verdict v, uint64_t started) {
    const char *violation = NULL;
    if (h_now_ns() > c->deadline) violation = "timeout";
    else if (v > PAB_VERDICT_ERROR) violation = "unknown verdict";
    else if (v == PAB_VERDICT_DENY && !c->denied) violation = "DENY without a deny() call";
    else if (v == PAB_VERDICT_DENY && c->phase != PH_REQUEST && c->phase != PH_RESPONSE && c->phase != PH_CHUNK &&
             c->phase != PH_STREAM_END)
        violation = "DENY outside a hook";
    else if (v == PAB_VERDICT_MUTATE && !may_mutate(c)) violation = "MUTATE without the matching capability";
    else if (v == PAB_VERDICT_MUTATE && !c->seg_replaced && !c->body_replaced) violation = "MUTATE without a change";
    else if (v == PAB_VERDICT_DROP && (c->phase != PH_CHUNK || !may_mutate(c)))
        violation = "DROP outside on_stream_chunk or without PAB_CAP_MUTATES_RESPONSE";
    printf("%s: ", phase_names[c->phase]);
    if (violation) {
        printf("plugin error: %s (verdict %u) after %llu us\n", violation, v,
               (unsigned long long)((h_now_ns() - started) / 1000));
        return PAB_VERDICT_ERROR;
    }
    printf("%s", verdict_name(v));
    if (v == PAB_VERDICT_DENY)
        printf(" status=%u code=%s message=\"%s\"", c->deny_status, c->deny_code, c->deny_message);
    if (v == PAB_VERDICT_ERROR) printf(" reason=\"%s\"", c->error);
    if (v == PAB_VERDICT_MUTATE)
        for (uint32_t i = 0; i < c->nsegs; i++) printf(" seg[%u]=\"%s\"", i, c->segs[i].text);
    for (uint32_t i = 0; i < c->ninserted && v != PAB_VERDICT_DENY && v != PAB_VERDICT_ERROR; i++)
        printf(" inserted[%u]=\"%s\"", c->inserted_item[i], c->inserted_text[i]);
    printf("\n");
    return v;
}

static void append_client_text(uint32_t item, const char *text) {
    if (item >= MAX_ITEMS) return;
    size_t old = client_text[item] ? strlen(client_text[item]) : 0, add = strlen(text);
    char *grown = realloc(client_text[item], old + add + 1);
    if (!grown) abort();
    memcpy(grown + old, text, add + 1);
    client_text[item] = grown;
}

static void free_inserted(pab_call *c) {
    for (uint32_t i = 0; i < c->ninserted; i++) free(c->inserted_text[i]);
    c->ninserted = 0;
}

static uint64_t timeout_ns = 1000000000u;
static void new_call(pab_call *c, enum phase ph, segment *segs, uint32_t n) {
    memset(c, 0, sizeof *c); /* inserted texts were freed by the caller (free_inserted) */
    c->phase = ph;
    c->segs = segs;
    c->nsegs = n;
    c->deadline = h_now_ns() + timeout_ns;
}

/* Every exchange starts from the command line's segments, whatever the previous one replaced. */
static void reset_segments(segment *work, const segment *cfg, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        free(work[i].role);
        free(work[i].text);
        work[i] = (segment){cfg[i].kind, dup_str(cfg[i].role), dup_str(cfg[i].text), cfg[i].item};
    }
}

/* One exchange. Returns the exit status contribution: 0 fine, 4 plugin error. */
static int run_exchange(pab_instance *inst) {
    pab_call c;
    pab_exchange *ex = NULL;
    pab_end_reason reason = PAB_END_COMPLETED;
    pab_verdict v = PAB_VERDICT_ALLOW;
    uint64_t t;
    for (uint32_t i = 0; i < MAX_ITEMS; i++) { /* client_text shows the last exchange only */
        free(client_text[i]);
        client_text[i] = NULL;
    }
    reset_segments(req_segs, cfg_req, nreq);
    reset_segments(resp_segs, cfg_resp, nresp);
    reset_segments(delta_segs, cfg_delta, ndelta);

    if (plugin.exchange_begin) {
        new_call(&c, PH_BEGIN, NULL, 0);
        pab_rc rc = plugin.exchange_begin(inst, &c, &ex);
        printf("exchange_begin: rc=%u\n", rc);
        if (rc != PAB_OK) return 4;
    }
    if (plugin.on_request) {
        pab_request r = {sizeof r, PAB_API_CHAT_COMPLETIONS, view("POST"), view("/v1/chat/completions"),
                         view("application/json"), view("{\"model\":\"gpt-smoke\",\"messages\":[]}"), (uint32_t)stream};
        new_call(&c, PH_REQUEST, req_segs, nreq);
        t = h_now_ns();
        v = judge(&c, plugin.on_request(inst, ex, &c, &r), t);
    }
    if (v == PAB_VERDICT_DENY) reason = PAB_END_DENIED;
    else if (v == PAB_VERDICT_ERROR) reason = PAB_END_POLICY_ERROR;
    else if (stream) {
        /* One event per --delta, then chat's final "[DONE]" event (no segments). */
        uint32_t events = ndelta + (send_done ? 1 : 0);
        for (uint32_t i = 0; i < events && reason == PAB_END_COMPLETED; i++) {
            int done = i == ndelta;
            char data[1024];
            if (done) snprintf(data, sizeof data, "[DONE]");
            else snprintf(data, sizeof data, "{\"choices\":[{\"index\":%u,\"delta\":{\"content\":\"...\"}}]}",
                          delta_segs[i].item);
            pab_stream_chunk k = {sizeof k, i, view(""), view(data)};
            new_call(&c, PH_CHUNK, done ? NULL : &delta_segs[i], done ? 0 : 1);
            v = PAB_VERDICT_ALLOW;
            if (plugin.on_stream_chunk) {
                t = h_now_ns();
                v = judge(&c, plugin.on_stream_chunk(inst, ex, &c, &k), t);
            }
            if (v == PAB_VERDICT_DENY) reason = PAB_END_DENIED;
            if (v == PAB_VERDICT_ERROR) reason = PAB_END_POLICY_ERROR;
            if (reason == PAB_END_COMPLETED) { /* what the client reads: inserted deltas first, then the event */
                for (uint32_t n = 0; n < c.ninserted; n++) append_client_text(c.inserted_item[n], c.inserted_text[n]);
                if (!done && v != PAB_VERDICT_DROP) append_client_text(delta_segs[i].item, delta_segs[i].text);
            }
            free_inserted(&c);
        }
        if (plugin.on_stream_end) {
            pab_stream_end e = {sizeof e, reason, ndelta, 100};
            new_call(&c, PH_STREAM_END, NULL, 0);
            t = h_now_ns();
            pab_verdict ve = judge(&c, plugin.on_stream_end(inst, ex, &c, &e), t);
            if (reason == PAB_END_COMPLETED && ve == PAB_VERDICT_DENY) reason = PAB_END_DENIED;
            if (reason == PAB_END_COMPLETED && ve == PAB_VERDICT_ERROR) reason = PAB_END_POLICY_ERROR;
            v = reason == PAB_END_COMPLETED ? ve : v;
        }
    } else if (nresp && plugin.on_response) {
        pab_response r = {sizeof r, 200, view("application/json"), view("{\"choices\":[]}")};
        new_call(&c, PH_RESPONSE, resp_segs, nresp);
        t = h_now_ns();
        v = judge(&c, plugin.on_response(inst, ex, &c, &r), t);
        if (v == PAB_VERDICT_DENY) reason = PAB_END_DENIED;
        if (v == PAB_VERDICT_ERROR) reason = PAB_END_POLICY_ERROR;
    }
    if (plugin.exchange_begin) {
        new_call(&c, PH_END, NULL, 0);
        plugin.exchange_end(inst, ex, &c, reason);
        printf("exchange_end: reason=%u\n", reason);
    }
    return reason == PAB_END_POLICY_ERROR ? 4 : 0;
}

static void add_segment(segment *arr, uint32_t *n, pab_segment_kind kind, const char *role, const char *text,
                        uint32_t item) {
    if (*n == MAX_ITEMS) {
        fprintf(stderr, "too many segments\n");
        exit(64);
    }
    arr[*n] = (segment){kind, dup_str(role), dup_str(text), item};
    (*n)++;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PLUGIN.so [--name N] [--config JSON] [--seg ROLE:TEXT]... [--response TEXT]... "
                        "[--delta [@N:]TEXT]... [--done no] [--tag KEY=VALUE]... [--timeout-ms N] [--repeat N]\n",
                argv[0]);
        return 64;
    }
    const char *name = NULL, *config = "{}";
    long repeat = 1;
    for (int i = 2; i < argc; i++) {
        const char *opt = argv[i], *arg = i + 1 < argc ? argv[i + 1] : NULL;
        if (!arg) {
            fprintf(stderr, "%s needs a value\n", opt);
            return 64;
        }
        i++;
        if (strcmp(opt, "--name") == 0) name = arg;
        else if (strcmp(opt, "--config") == 0) config = arg;
        else if (strcmp(opt, "--timeout-ms") == 0) timeout_ns = (uint64_t)strtoull(arg, NULL, 10) * 1000000u;
        else if (strcmp(opt, "--repeat") == 0) repeat = strtol(arg, NULL, 10);
        else if (strcmp(opt, "--done") == 0) send_done = strcmp(arg, "no") != 0;
        else if (strcmp(opt, "--response") == 0)
            add_segment(cfg_resp, &nresp, PAB_SEGMENT_OUTPUT, "assistant", arg, nresp);
        else if (strcmp(opt, "--seg") == 0) {
            const char *colon = strchr(arg, ':');
            if (!colon) {
                fprintf(stderr, "--seg wants ROLE:TEXT\n");
                return 64;
            }
            char role[32];
            snprintf(role, sizeof role, "%.*s", (int)(colon - arg), arg);
            add_segment(cfg_req, &nreq, PAB_SEGMENT_MESSAGE, role, colon + 1, nreq);
        } else if (strcmp(opt, "--delta") == 0) {
            uint32_t item = 0;
            const char *colon = arg[0] == '@' ? strchr(arg, ':') : NULL;
            if (colon) {
                item = (uint32_t)strtoul(arg + 1, NULL, 10);
                arg = colon + 1;
            }
            add_segment(cfg_delta, &ndelta, PAB_SEGMENT_DELTA, "assistant", arg, item);
            stream = 1;
        } else if (strcmp(opt, "--tag") == 0) {
            const char *eq = strchr(arg, '=');
            if (!eq) {
                fprintf(stderr, "--tag wants KEY=VALUE\n");
                return 64;
            }
            char key[256];
            snprintf(key, sizeof key, "%.*s", (int)(eq - arg), arg);
            put_tag(key, view(eq + 1));
        } else {
            fprintf(stderr, "unknown option %s\n", opt);
            return 64;
        }
    }
    if (nreq == 0) {
        add_segment(cfg_req, &nreq, PAB_SEGMENT_MESSAGE, "system", "You are terse.", 0);
        add_segment(cfg_req, &nreq, PAB_SEGMENT_MESSAGE, "user", "Hello SECRET-42, how are you?", 1);
    }

    int rc = load(argv[1]);
    if (rc) return rc;
    snprintf(hinst.policy, sizeof hinst.policy, "%s", name ? name : plugin.name);

    /* create gets its own copy of the config so that a plugin reading past config_json.len (instead of
     * stopping at the NUL) is caught by a sanitizer. */
    char *config_copy = dup_str(config);
    pab_create_args args = {sizeof args, &host_api, &hinst, view(hinst.policy), view(config_copy)};
    pab_instance *inst = NULL;
    char err[256] = "";
    in_create = 1;
    pab_rc crc = plugin.create(&args, &inst, err, sizeof err);
    in_create = 0;
    free(config_copy);
    if (crc != PAB_OK) {
        printf("create: failed (rc=%u): %s\n", crc, err);
        return 3;
    }
    printf("create: ok\n");

    int status = 0;
    for (long r = 0; r < repeat; r++) {
        int s = run_exchange(inst);
        if (s) status = s;
    }
    plugin.destroy(inst);
    printf("destroy: ok\n");

    for (uint32_t i = 0; i < ntags; i++) printf("tag %s=%s\n", tag_keys[i], tag_values[i]);
    for (uint32_t i = 0; i < ncounters; i++)
        printf("counter %s=%llu\n", counter_names[i], (unsigned long long)counter_values[i]);
    for (uint32_t i = 0; i < MAX_ITEMS; i++)
        if (client_text[i]) printf("client_text[%u]=\"%s\"\n", i, client_text[i]);
    return status;
}
