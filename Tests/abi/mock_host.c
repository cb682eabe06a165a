/* mock_host.c: see mock_host.h. */
#define _POSIX_C_SOURCE 200809L
#include "mock_host.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_COUNTERS 128
#define MAX_LOGS 256

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char counter_names[MAX_COUNTERS][65];
static unsigned long long counter_values[MAX_COUNTERS];
static unsigned ncounters;
static char *logs[MAX_LOGS];
static unsigned nlogs;

void mh_buf_add(mh_buf *b, const void *bytes, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) abort(); /* a test harness: running out of memory is not a result */
        b->p = p;
        b->cap = cap;
    }
    if (n) memmove(b->p + b->n, bytes, n); /* bytes may be a view of this buffer */
    b->n += n;
    b->p[b->n] = '\0';
}

void mh_buf_free(mh_buf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

static void buf_set(mh_buf *b, const void *bytes, size_t n) {
    b->n = 0;
    mh_buf_add(b, bytes, n);
}

/* RFC 3629 validation, as Swift's String(validating:) does in the real host. */
static int valid_utf8(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i];
        size_t len;
        uint8_t lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c == 0xE0) len = 3, lo = 0xA0;
        else if (c == 0xED) len = 3, hi = 0x9F;
        else if (c >= 0xE1 && c <= 0xEF) len = 3;
        else if (c == 0xF0) len = 4, lo = 0x90;
        else if (c >= 0xF1 && c <= 0xF3) len = 4;
        else if (c == 0xF4) len = 4, hi = 0x8F;
        else return 0;
        if (n - i < len || p[i + 1] < lo || p[i + 1] > hi) return 0;
        for (size_t k = 2; k < len; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xBF) return 0;
        i += len;
    }
    return 1;
}

void mh_violation(struct pab_call *c, const char *what) {
    if (c->violations++ == 0) snprintf(c->violation, sizeof c->violation, "%s", what);
    if (getenv("MOCK_HOST_VERBOSE")) fprintf(stderr, "mock host: violation: %s\n", what);
}

static int is_hook(const struct pab_call *c) {
    return c->hook == MH_REQUEST || c->hook == MH_RESPONSE || c->hook == MH_CHUNK || c->hook == MH_STREAM_END;
}

/* ------------------------------------------------------------------------------------ the table */

static void h_log(pab_host_instance *hi, pab_log_level level, pab_view msg) {
    (void)hi;
    (void)level;
    pthread_mutex_lock(&lock);
    if (nlogs < MAX_LOGS && (logs[nlogs] = malloc(msg.len + 1)) != NULL) {
        if (msg.len) memcpy(logs[nlogs], msg.ptr, msg.len);
        logs[nlogs][msg.len] = '\0';
        nlogs++;
    }
    pthread_mutex_unlock(&lock);
    if (getenv("MOCK_HOST_VERBOSE")) fprintf(stderr, "log: %.*s\n", (int)msg.len, (const char *)msg.ptr);
}
static uint32_t h_log_enabled(pab_log_level level) { return level <= PAB_LOG_ERROR; } /* all: exercise formatting */

static pab_rc h_get_header(pab_call *c, pab_header_set set, pab_view name, pab_view *out) {
    (void)c, (void)set, (void)name, (void)out;
    return PAB_ERR_NOT_FOUND;
}
static pab_rc h_set_header(pab_call *c, pab_header_set set, pab_view name, pab_view value) {
    (void)set, (void)name, (void)value;
    return is_hook(c) ? PAB_OK : PAB_ERR_INVALID;
}
static pab_rc h_get_attribute(pab_call *c, uint32_t id, pab_view *out) {
    if (id >= 32 || !c->attrs[id]) return PAB_ERR_NOT_FOUND;
    *out = (pab_view){(const uint8_t *)c->attrs[id], strlen(c->attrs[id])};
    return PAB_OK;
}
static pab_rc h_set_tag(pab_call *c, pab_view key, pab_view value) {
    if (key.len == 0 || value.len > 4096 || !valid_utf8(key.ptr, key.len) || !valid_utf8(value.ptr, value.len))
        return PAB_ERR_INVALID;
    char full[256];
    int n = snprintf(full, sizeof full, "%s.%.*s", c->policy, (int)key.len, (const char *)key.ptr);
    if (n < 0 || (size_t)n >= sizeof full) return PAB_ERR_INVALID;
    for (uint32_t i = 0; i < c->ntags; i++) {
        if (strcmp(c->tag_keys[i], full) == 0) {
            free(c->tag_values[i]);
            c->tag_values[i] = strndup((const char *)value.ptr, value.len);
            return c->tag_values[i] ? PAB_OK : PAB_ERR_INVALID;
        }
    }
    if (c->ntags == MH_MAX_TAGS) return PAB_ERR_INVALID;
    c->tag_keys[c->ntags] = strdup(full);
    c->tag_values[c->ntags] = strndup((const char *)value.ptr, value.len);
    if (!c->tag_keys[c->ntags] || !c->tag_values[c->ntags]) abort();
    c->ntags++;
    return PAB_OK;
}
static pab_rc h_get_tag(pab_call *c, pab_view key, pab_view *out) {
    for (uint32_t i = 0; i < c->ntags; i++)
        if (strlen(c->tag_keys[i]) == key.len && memcmp(c->tag_keys[i], key.ptr, key.len) == 0) {
            *out = (pab_view){(const uint8_t *)c->tag_values[i], strlen(c->tag_values[i])};
            return PAB_OK;
        }
    return PAB_ERR_NOT_FOUND;
}
static uint32_t h_tag_count(pab_call *c) { return c->ntags; }
static pab_rc h_tag_at(pab_call *c, uint32_t i, pab_view *k, pab_view *v) {
    if (i >= c->ntags) return PAB_ERR_NOT_FOUND;
    *k = (pab_view){(const uint8_t *)c->tag_keys[i], strlen(c->tag_keys[i])};
    *v = (pab_view){(const uint8_t *)c->tag_values[i], strlen(c->tag_values[i])};
    return PAB_OK;
}
static pab_rc h_deny(pab_call *c, uint32_t status, pab_view code, pab_view msg) {
    if (!is_hook(c)) {
        mh_violation(c, "deny outside a request/response/stream hook");
        return PAB_ERR_INVALID;
    }
    if (status != 0 && (status < 400 || status > 599)) return PAB_ERR_INVALID;
    c->denied = 1;
    c->deny_status = status;
    buf_set(&c->deny_code, code.ptr, code.len);
    buf_set(&c->deny_message, msg.ptr, msg.len);
    return PAB_OK;
}
static int may_mutate(struct pab_call *c, const char *what) {
    uint64_t need = c->hook == MH_REQUEST ? PAB_CAP_MUTATES_REQUEST : PAB_CAP_MUTATES_RESPONSE;
    if ((c->hook != MH_REQUEST && c->hook != MH_RESPONSE && c->hook != MH_CHUNK) || !(c->caps & need)) {
        char m[96];
        snprintf(m, sizeof m, "%s in the wrong hook or without the capability", what);
        mh_violation(c, m);
        return 0;
    }
    return 1;
}
static pab_rc h_replace_body(pab_call *c, pab_view body) {
    if (!may_mutate(c, "replace_body")) return PAB_ERR_INVALID;
    buf_set(&c->body, body.ptr, body.len);
    c->changed = 1;
    return PAB_OK;
}
static void h_set_error(pab_call *c, pab_view msg) {
    snprintf(c->error, sizeof c->error, "%.*s", (int)msg.len, (const char *)msg.ptr);
}
static uint32_t h_segment_count(pab_call *c) { return c->nsegs; }
static pab_rc h_get_segment(pab_call *c, uint32_t i, pab_segment *out) {
    if (i >= c->nsegs) return PAB_ERR_NOT_FOUND;
    /* Plugins built against a later minor pass a larger struct; only v1.0's members are filled here. */
    if (out->struct_size < offsetof(pab_segment, part_index) + sizeof out->part_index) {
        mh_violation(c, "get_segment with a struct_size below v1.0's");
        return PAB_ERR_INVALID;
    }
    const mh_seg *s = &c->segs[i];
    out->kind = s->kind;
    out->role = (pab_view){(const uint8_t *)s->role, strlen(s->role)};
    /* The real host hands the current text: a replacement made earlier in the same hook. */
    if (s->has_replacement) out->text = (pab_view){(const uint8_t *)s->replaced.p, s->replaced.n};
    else out->text = (pab_view){s->text, s->len};
    out->item_index = s->item;
    out->part_index = s->part;
    return PAB_OK;
}
static pab_rc h_replace_segment_text(pab_call *c, uint32_t i, pab_view text) {
    if (!may_mutate(c, "replace_segment_text")) return PAB_ERR_INVALID;
    if (!valid_utf8(text.ptr, text.len)) {
        mh_violation(c, "replace_segment_text with invalid UTF-8 (the host refuses it: a policy error)");
        return PAB_ERR_INVALID;
    }
    if (i >= c->nsegs) return PAB_ERR_NOT_FOUND;
    buf_set(&c->segs[i].replaced, text.ptr, text.len);
    c->segs[i].has_replacement = 1;
    c->changed = 1;
    return PAB_OK;
}
static pab_rc h_insert_delta(pab_call *c, uint32_t item, uint32_t part, pab_view text) {
    if (c->hook != MH_CHUNK || !(c->caps & PAB_CAP_MUTATES_RESPONSE)) {
        mh_violation(c, "insert_delta outside on_stream_chunk or without MUTATES_RESPONSE");
        return PAB_ERR_INVALID;
    }
    if (!valid_utf8(text.ptr, text.len)) {
        mh_violation(c, "insert_delta with invalid UTF-8 (the host refuses it: a policy error)");
        return PAB_ERR_INVALID;
    }
    if (text.len == 0) return PAB_OK;
    if (c->ninserts == MH_MAX_INSERTS) abort(); /* more than a test ever needs: a runaway loop */
    mh_insert *in = &c->inserts[c->ninserts++];
    in->item = item;
    in->part = part;
    buf_set(&in->text, text.ptr, text.len);
    return PAB_OK;
}
static pab_rc h_counter_define(pab_host_instance *hi, pab_view name, uint32_t *out) {
    (void)hi;
    if (name.len == 0 || name.len > 64) return PAB_ERR_INVALID;
    for (size_t k = 0; k < name.len; k++) {
        uint8_t b = name.ptr[k];
        if (!((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '_')) return PAB_ERR_INVALID;
    }
    pthread_mutex_lock(&lock);
    unsigned i;
    for (i = 0; i < ncounters; i++)
        if (strlen(counter_names[i]) == name.len && memcmp(counter_names[i], name.ptr, name.len) == 0) break;
    if (i == ncounters && ncounters < MAX_COUNTERS) {
        memcpy(counter_names[i], name.ptr, name.len);
        counter_names[i][name.len] = '\0';
        ncounters++;
    }
    pthread_mutex_unlock(&lock);
    if (i >= MAX_COUNTERS) return PAB_ERR_INVALID;
    *out = i;
    return PAB_OK;
}
static void h_counter_add(pab_host_instance *hi, uint32_t id, uint64_t delta) {
    (void)hi;
    pthread_mutex_lock(&lock);
    if (id < ncounters) counter_values[id] += delta;
    pthread_mutex_unlock(&lock);
}
static uint64_t h_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
static uint64_t h_deadline_ns(pab_call *c) {
    (void)c;
    return h_now_ns() + 1000000000u;
}

/* v1.1 candidates. The real host shows them in on_request only (0 elsewhere) and refuses exclusions outside
 * it; it writes no more of pab_candidate than the plugin's struct_size holds. */
static uint32_t h_candidate_count(pab_call *c) { return c->hook == MH_REQUEST ? c->ncandidates : 0; }
static pab_rc h_get_candidate(pab_call *c, uint32_t i, pab_candidate *out) {
    if (!out || out->struct_size < sizeof(uint32_t)) {
        mh_violation(c, "get_candidate without a struct_size");
        return PAB_ERR_INVALID;
    }
    if (c->hook != MH_REQUEST || i >= c->ncandidates) return PAB_ERR_NOT_FOUND;
    pab_candidate filled = c->candidates[i].c;
    filled.struct_size = sizeof filled;
    size_t size = out->struct_size < sizeof filled ? out->struct_size : sizeof filled;
    memcpy(out, &filled, size);
    return PAB_OK;
}
static pab_rc h_exclude_candidate(pab_call *c, uint32_t i, pab_view reason) {
    if (c->hook != MH_REQUEST) {
        mh_violation(c, "exclude_candidate outside on_request");
        return PAB_ERR_INVALID;
    }
    if (i >= c->ncandidates) return PAB_ERR_NOT_FOUND;
    mh_candidate *k = &c->candidates[i];
    buf_set(&k->reason, reason.ptr, reason.len); /* a second exclusion replaces the reason, as in the host */
    k->excluded_here = 1;
    k->c.excluded = 1;
    return PAB_OK;
}

/* The v1.0 members, shared by both tables. */
#define MH_API_V1_0_MEMBERS                                                                                    \
    .abi_major = PAB_ABI_MAJOR, .log = h_log, .log_enabled = h_log_enabled, .get_header = h_get_header,       \
    .set_header = h_set_header, .get_attribute = h_get_attribute, .set_tag = h_set_tag, .get_tag = h_get_tag, \
    .tag_count = h_tag_count, .tag_at = h_tag_at, .deny = h_deny, .replace_body = h_replace_body,             \
    .set_error = h_set_error, .segment_count = h_segment_count, .get_segment = h_get_segment,                 \
    .replace_segment_text = h_replace_segment_text, .insert_delta = h_insert_delta,                           \
    .counter_define = h_counter_define, .counter_add = h_counter_add, .now_ns = h_now_ns,                     \
    .deadline_ns = h_deadline_ns

const pab_host_api mh_api_v1_0 = {
    .struct_size = offsetof(pab_host_api, candidate_count),
    .abi_minor = 0,
    MH_API_V1_0_MEMBERS,
};

const pab_host_api mh_api = {
    .struct_size = sizeof(pab_host_api),
    .abi_minor = PAB_ABI_MINOR,
    MH_API_V1_0_MEMBERS,
    .candidate_count = h_candidate_count,
    .get_candidate = h_get_candidate,
    .exclude_candidate = h_exclude_candidate,
};

/* ------------------------------------------------------------------------------ driving a call */

void mh_call_init(struct pab_call *c, const char *policy, uint64_t caps) {
    memset(c, 0, sizeof *c);
    snprintf(c->policy, sizeof c->policy, "%s", policy);
    c->caps = caps;
    c->attrs[PAB_ATTR_REQUEST_ID] = "req-mock-1";
    c->attrs[PAB_ATTR_ROUTE] = "/v1/chat/completions";
    c->attrs[PAB_ATTR_MODEL] = "gpt-4o-mini";
    c->attrs[PAB_ATTR_POLICY_NAME] = c->policy;
    c->attrs[PAB_ATTR_STREAM] = "false";
}

void mh_hook_begin(struct pab_call *c, enum mh_hook hook) {
    for (uint32_t i = 0; i < c->nsegs; i++) mh_buf_free(&c->segs[i].replaced);
    for (uint32_t i = 0; i < c->ninserts; i++) mh_buf_free(&c->inserts[i].text);
    c->nsegs = c->ninserts = 0;
    c->hook = hook;
    c->denied = c->changed = 0;
    c->deny_status = 0;
    c->deny_code.n = c->deny_message.n = c->body.n = 0;
    c->error[0] = '\0';
}

void mh_call_free(struct pab_call *c) {
    mh_hook_begin(c, MH_END);
    for (uint32_t i = 0; i < c->ntags; i++) {
        free(c->tag_keys[i]);
        free(c->tag_values[i]);
    }
    c->ntags = 0;
    for (uint32_t i = 0; i < c->ncandidates; i++) mh_buf_free(&c->candidates[i].reason);
    c->ncandidates = 0;
    mh_buf_free(&c->deny_code);
    mh_buf_free(&c->deny_message);
    mh_buf_free(&c->body);
}

void mh_add_segment(struct pab_call *c, pab_segment_kind kind, const char *role, const void *text, size_t len,
                    uint32_t item, uint32_t part) {
    if (c->nsegs == MH_MAX_SEGS) abort();
    mh_seg *s = &c->segs[c->nsegs++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->role = role ? role : "";
    s->text = (const uint8_t *)text;
    s->len = len;
    s->item = item;
    s->part = part;
}

void mh_add_candidate(struct pab_call *c, const pab_candidate *candidate) {
    if (c->ncandidates == MH_MAX_CANDIDATES) abort(); /* more than a test ever needs */
    mh_candidate *k = &c->candidates[c->ncandidates++];
    memset(k, 0, sizeof *k);
    k->c = *candidate;
}

const char *mh_excluded(const struct pab_call *c, uint32_t index) {
    if (index >= c->ncandidates || !c->candidates[index].excluded_here) return NULL;
    return c->candidates[index].reason.p ? c->candidates[index].reason.p : "";
}

int mh_hook_end(struct pab_call *c, pab_verdict v) {
    unsigned before = c->violations;
    switch (v) {
    case PAB_VERDICT_ALLOW: break;
    case PAB_VERDICT_DENY:
        if (!c->denied) mh_violation(c, "DENY without deny()");
        break;
    case PAB_VERDICT_MUTATE:
        if (!c->changed) mh_violation(c, "MUTATE without a change");
        break;
    case PAB_VERDICT_DROP:
        if (c->hook != MH_CHUNK) mh_violation(c, "DROP outside on_stream_chunk");
        break;
    case PAB_VERDICT_ERROR: break; /* the caller decides whether an error is expected */
    default: mh_violation(c, "unknown verdict"); break;
    }
    return c->violations == before ? 0 : -1;
}

void mh_client_text(const struct pab_call *c, pab_verdict v, uint32_t item, mh_buf *out) {
    if (v == PAB_VERDICT_DENY || v == PAB_VERDICT_ERROR) return;
    for (uint32_t i = 0; i < c->ninserts; i++)
        if (c->inserts[i].item == item) mh_buf_add(out, c->inserts[i].text.p, c->inserts[i].text.n);
    if (v == PAB_VERDICT_DROP) return;
    for (uint32_t i = 0; i < c->nsegs; i++) {
        const mh_seg *s = &c->segs[i];
        if (s->kind != PAB_SEGMENT_DELTA || s->item != item) continue;
        /* Replacements take effect only with MUTATE, as in the real host. */
        if (v == PAB_VERDICT_MUTATE && s->has_replacement) mh_buf_add(out, s->replaced.p, s->replaced.n);
        else mh_buf_add(out, s->text, s->len);
    }
}

const char *mh_tag(const struct pab_call *c, const char *key) {
    for (uint32_t i = 0; i < c->ntags; i++)
        if (strcmp(c->tag_keys[i], key) == 0) return c->tag_values[i];
    return NULL;
}

unsigned long long mh_counter(const char *name) {
    unsigned long long v = 0;
    pthread_mutex_lock(&lock);
    for (unsigned i = 0; i < ncounters; i++)
        if (strcmp(counter_names[i], name) == 0) v = counter_values[i];
    pthread_mutex_unlock(&lock);
    return v;
}

unsigned mh_logs_containing(const char *needle) {
    unsigned n = 0;
    pthread_mutex_lock(&lock);
    for (unsigned i = 0; i < nlogs; i++)
        if (strstr(logs[i], needle)) n++;
    pthread_mutex_unlock(&lock);
    return n;
}

void mh_reset(void) {
    pthread_mutex_lock(&lock);
    memset(counter_values, 0, sizeof counter_values);
    for (unsigned i = 0; i < nlogs; i++) free(logs[i]);
    nlogs = 0;
    pthread_mutex_unlock(&lock);
}
