/*
 * pii_plugin.c: the PolicyABI v1 glue of the pii-detector policy. Everything about detection lives in the
 * core (pii_detect.h); this file maps hooks to scans:
 *   on_request       every MESSAGE / INPUT segment: redact in place (MUTATE) or DENY input_blocked;
 *   on_response      every OUTPUT segment of a non-streamed answer: the same with output_blocked;
 *   on_stream_chunk  DELTA segments through a per-(item, part) hold-back stream (pii_stream.h), OUTPUT
 *                    segments of the Responses summary events (output_text.done's text, response.completed)
 *                    in full; held text is released at a choice's finish_reason chunk, at
 *                    response.output_text.done and at the terminal event (insert_delta, or in the same
 *                    event's delta when it carries one).
 * Tags carry types and counts only, never values. The instance is read-only after create; per-exchange
 * state lives in pab_exchange.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pii_buf.h"
#include "pii_detect.h"
#include "pii_json.h"
#include "pii_redact.h"
#include "pii_settings.h"
#include "pii_stream.h"
#include "policy_abi.h"

#define COUNTER_NONE UINT32_MAX

struct pab_instance {
    pii_settings s; /* first: never moved after create (detect.patterns points into it) */
    const pab_host_api *host;
    pab_host_instance *hi;
    uint32_t c_matches;
    uint32_t c_redacted;
    uint32_t c_blocked;
    uint32_t c_released;
    uint32_t c_type[PII_TYPE_SLOTS];
};

struct pab_exchange {
    pii_stream *streams;
    size_t nstreams;
    size_t cap;
    pii_found found; /* everything found in this exchange so far, for the tags */
    int blocked;
};

/* ------------------------------------------------------------------------------------------ helpers */

static pab_view view_of(const char *s, size_t n) {
    pab_view v = {(const uint8_t *)s, n};
    return v;
}

static pab_view cstr(const char *s) { return view_of(s, strlen(s)); }

static void log_msg(pab_instance *inst, pab_log_level level, const char *msg) {
    if (inst->host->log_enabled(level)) inst->host->log(inst->hi, level, cstr(msg));
}

static void counter_add(pab_instance *inst, uint32_t id, uint64_t n) {
    if (id != COUNTER_NONE && n > 0) inst->host->counter_add(inst->hi, id, n);
}

static void define_counter(pab_instance *inst, const char *name, uint32_t *id) {
    *id = COUNTER_NONE;
    if (inst->host->counter_define(inst->hi, cstr(name), id) != PAB_OK) {
        *id = COUNTER_NONE;
        char msg[128];
        snprintf(msg, sizeof msg, "could not define counter %s", name);
        log_msg(inst, PAB_LOG_WARN, msg);
    }
}

/* "EMAIL_ADDRESS, US_SSN" for the types with a count. */
static void types_list(const pab_instance *inst, const pii_found *f, char *out, size_t cap) {
    size_t n = 0;
    out[0] = '\0';
    for (uint32_t t = 0; t < PII_TYPE_SLOTS; t++) {
        if (f->count[t] == 0) continue;
        int w = snprintf(out + n, cap - n, "%s%s", n ? ", " : "", pii_type_name(&inst->s.detect, t));
        if (w < 0 || (size_t)w >= cap - n) break;
        n += (size_t)w;
    }
}

static int must_block(const pab_instance *inst, const pii_found *f) {
    if (f->total == 0) return 0;
    return inst->s.action == PII_ACTION_BLOCK || (inst->s.pci_mode && f->count[PII_CREDIT_CARD] > 0);
}

/* Adds this call's findings to the exchange, updates tags and counters. */
static void record(pab_instance *inst, pab_exchange *ex, pab_call *c, const pii_found *f, int blocked) {
    if (f->total == 0) return;
    counter_add(inst, inst->c_matches, f->total);
    for (uint32_t t = 0; t < PII_TYPE_SLOTS; t++) counter_add(inst, inst->c_type[t], f->count[t]);
    pii_found *acc = ex != NULL ? &ex->found : NULL;
    if (acc != NULL) {
        for (uint32_t t = 0; t < PII_TYPE_SLOTS; t++) acc->count[t] += f->count[t];
        acc->total += f->total;
        if (blocked) ex->blocked = 1;
    }
    if (!inst->s.include_metadata) return;
    for (uint32_t t = 0; t < PII_TYPE_SLOTS; t++) {
        if (f->count[t] == 0) continue;
        char value[16];
        snprintf(value, sizeof value, "%u", acc != NULL ? acc->count[t] : f->count[t]);
        inst->host->set_tag(c, cstr(pii_type_name(&inst->s.detect, t)), cstr(value));
    }
    int any_blocked = blocked || (ex != NULL && ex->blocked);
    inst->host->set_tag(c, cstr("action"), cstr(any_blocked ? "blocked" : "redacted"));
}

static pab_verdict deny(pab_instance *inst, pab_exchange *ex, pab_call *c, const pii_found *f, int request) {
    char types[512];
    types_list(inst, f, types, sizeof types);
    pii_buf msg = {0};
    const char *fmt = inst->s.block_message;
    int rc = 0;
    if (fmt == NULL) {
        rc = pii_buf_append_str(&msg, request ? "Request blocked: contains personal data ("
                                              : "Response blocked: contains personal data (");
        if (rc == 0) rc = pii_buf_append_str(&msg, types);
        if (rc == 0) rc = pii_buf_append_str(&msg, ")");
    } else {
        for (const char *p = fmt; rc == 0;) {
            const char *hole = strstr(p, "{TYPES}");
            if (hole == NULL) {
                rc = pii_buf_append_str(&msg, p);
                break;
            }
            rc = pii_buf_append(&msg, p, (size_t)(hole - p));
            if (rc == 0) rc = pii_buf_append_str(&msg, types);
            p = hole + 7;
        }
    }
    if (rc != 0) {
        pii_buf_free(&msg);
        inst->host->set_error(c, cstr("pii-detector: out of memory building the block message"));
        return PAB_VERDICT_ERROR;
    }
    inst->host->deny(c, 409, cstr(request ? "input_blocked" : "output_blocked"), view_of(msg.data, msg.len));
    pii_buf_free(&msg);
    record(inst, ex, c, f, 1);
    counter_add(inst, inst->c_blocked, 1);
    char line[600];
    snprintf(line, sizeof line, "blocked %s: %s", request ? "request" : "response", types);
    log_msg(inst, PAB_LOG_INFO, line);
    return PAB_VERDICT_DENY;
}

static pab_verdict oom(pab_instance *inst, pab_call *c) {
    inst->host->set_error(c, cstr("pii-detector: out of memory"));
    return PAB_VERDICT_ERROR;
}

/* Scans text into a growing match array. Returns 0 or -1 (out of memory). */
static int scan_text(const pab_instance *inst, const char *t, size_t n, pii_match **m, size_t *count) {
    size_t cap = 16;
    for (;;) {
        pii_match *v = malloc(cap * sizeof *v);
        if (v == NULL) return -1;
        size_t got = pii_scan(&inst->s.detect, t, n, v, cap);
        if (got == PII_SCAN_ERROR) {
            free(v);
            return -1;
        }
        if (got <= cap) {
            *m = v;
            *count = got;
            return 0;
        }
        free(v);
        cap = got;
    }
}

/* ------------------------------------------------------------------------------ whole segments */

typedef struct pending_edit {
    uint32_t index;
    pii_buf text;
} pending_edit;

/* Scans every segment of the given kinds; redacts (MUTATE) or denies. */
static pab_verdict scan_segments(pab_instance *inst, pab_exchange *ex, pab_call *c, uint32_t kind_a, uint32_t kind_b,
                                 int request) {
    const pab_host_api *h = inst->host;
    uint32_t count = h->segment_count(c);
    pii_found f;
    memset(&f, 0, sizeof f);
    pending_edit *edits = NULL;
    size_t nedits = 0;
    pab_verdict verdict = PAB_VERDICT_ALLOW;
    for (uint32_t i = 0; i < count; i++) {
        pab_segment seg;
        memset(&seg, 0, sizeof seg);
        seg.struct_size = (uint32_t)sizeof seg;
        if (h->get_segment(c, i, &seg) != PAB_OK) continue;
        if (seg.kind != kind_a && seg.kind != kind_b) continue;
        const char *t = (const char *)seg.text.ptr;
        pii_match *m = NULL;
        size_t n = 0;
        if (scan_text(inst, t != NULL ? t : "", seg.text.len, &m, &n) != 0) goto out_of_memory;
        if (n == 0) {
            free(m);
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            f.count[m[k].type]++;
            f.total++;
        }
        pending_edit *ne = realloc(edits, (nedits + 1) * sizeof *ne);
        if (ne == NULL) {
            free(m);
            goto out_of_memory;
        }
        edits = ne;
        edits[nedits].index = i;
        memset(&edits[nedits].text, 0, sizeof edits[nedits].text);
        nedits++;
        int rc = pii_redact_append(&inst->s.redaction, &inst->s.detect, t, seg.text.len, m, n, &edits[nedits - 1].text);
        free(m);
        if (rc != 0) goto out_of_memory;
    }
    if (must_block(inst, &f)) {
        verdict = deny(inst, ex, c, &f, request);
    } else if (nedits > 0) {
        verdict = PAB_VERDICT_MUTATE;
        for (size_t k = 0; k < nedits; k++) {
            if (h->replace_segment_text(c, edits[k].index, view_of(edits[k].text.data, edits[k].text.len)) != PAB_OK) {
                h->set_error(c, cstr("pii-detector: the host refused replace_segment_text"));
                verdict = PAB_VERDICT_ERROR;
                break;
            }
        }
        if (verdict == PAB_VERDICT_MUTATE) {
            record(inst, ex, c, &f, 0);
            counter_add(inst, inst->c_redacted, 1);
        }
    }
    for (size_t k = 0; k < nedits; k++) pii_buf_free(&edits[k].text);
    free(edits);
    return verdict;

out_of_memory:
    for (size_t k = 0; k < nedits; k++) pii_buf_free(&edits[k].text);
    free(edits);
    return oom(inst, c);
}

static pab_verdict on_request(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_request *r) {
    (void)r;
    if (!inst->s.scan_request) return PAB_VERDICT_ALLOW;
    return scan_segments(inst, ex, c, PAB_SEGMENT_MESSAGE, PAB_SEGMENT_INPUT, 1);
}

static pab_verdict on_response(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_response *r) {
    (void)r;
    if (!inst->s.scan_response) return PAB_VERDICT_ALLOW;
    return scan_segments(inst, ex, c, PAB_SEGMENT_OUTPUT, PAB_SEGMENT_OUTPUT, 0);
}

/* ------------------------------------------------------------------------------------ streams */

static int is_terminal_type(const char *s, size_t n) {
    static const char *const names[] = {"response.output_text.done", "response.completed", "response.incomplete",
                                        "response.failed", NULL};
    for (int k = 0; names[k] != NULL; k++) {
        if (strlen(names[k]) == n && memcmp(names[k], s, n) == 0) return 1;
    }
    return 0;
}

/* The host marks the stream's last event (is_final: "[DONE]", response.completed / failed / incomplete,
 * error). response.output_text.done also ends a Responses text part, so held text goes out before the
 * event that repeats the full text. Older hosts without is_final: recognise the events by name. */
static int is_terminal(const pab_stream_chunk *k) {
    if (PAB_HAS(k, pab_stream_chunk, is_final) && k->is_final) return 1;
    const char *d = (const char *)k->data.ptr;
    size_t n = k->data.len;
    while (n > 0 && (*d == ' ' || *d == '\n' || *d == '\r' || *d == '\t')) {
        d++;
        n--;
    }
    while (n > 0 && (d[n - 1] == ' ' || d[n - 1] == '\n' || d[n - 1] == '\r' || d[n - 1] == '\t')) n--;
    if (n == 6 && memcmp(d, "[DONE]", 6) == 0) return 1;
    if (k->event.len > 0) return is_terminal_type((const char *)k->event.ptr, k->event.len);
    const char *type;
    size_t tlen;
    if (n > 0 && pii_json_top_level_string(d, n, "type", &type, &tlen)) return is_terminal_type(type, tlen);
    return 0;
}

#define MAX_FINISHED 16

/* Chat choices this event finishes (choices[i].finish_reason is a string): their held text is released
 * before the finish_reason chunk, not after it, so that clients that stop reading a choice there see it.
 * Returns how many indexes were written to out. */
static size_t finished_choices(const pab_stream_chunk *k, uint32_t *out, size_t cap) {
    const char *d = (const char *)k->data.ptr;
    size_t n = k->data.len, found = 0;
    static const char key[] = "\"finish_reason\"";
    int mentioned = 0;
    for (size_t q = 0; q + sizeof key - 1 <= n && !mentioned; q++) mentioned = memcmp(d + q, key, sizeof key - 1) == 0;
    if (!mentioned) return 0;
    pii_json root;
    char err[64];
    if (pii_json_parse(d, n, &root, err, sizeof err) != 0) return 0;
    const pii_json *choices = pii_json_get(&root, "choices");
    if (choices != NULL && choices->type == PII_JSON_ARRAY) {
        for (size_t q = 0; q < choices->count && found < cap; q++) {
            const pii_json *fr = pii_json_get(&choices->items[q], "finish_reason");
            const pii_json *idx = pii_json_get(&choices->items[q], "index");
            if (fr == NULL || fr->type != PII_JSON_STRING) continue;
            uint32_t item = (uint32_t)q;
            if (idx != NULL && idx->type == PII_JSON_NUMBER && idx->is_integer && idx->number >= 0 &&
                idx->number < 4294967296.0) {
                item = (uint32_t)idx->number;
            }
            out[found++] = item;
        }
    }
    pii_json_free(&root);
    return found;
}

static int contains_item(const uint32_t *v, size_t n, uint32_t item) {
    for (size_t k = 0; k < n; k++) {
        if (v[k] == item) return 1;
    }
    return 0;
}

static pii_stream *stream_for(pab_exchange *ex, uint32_t item, uint32_t part) {
    for (size_t k = 0; k < ex->nstreams; k++) {
        if (ex->streams[k].item == item && ex->streams[k].part == part) return &ex->streams[k];
    }
    if (ex->nstreams == ex->cap) {
        size_t cap = ex->cap ? ex->cap * 2 : 4;
        pii_stream *v = realloc(ex->streams, cap * sizeof *v);
        if (v == NULL) return NULL;
        ex->streams = v;
        ex->cap = cap;
    }
    pii_stream *s = &ex->streams[ex->nstreams++];
    memset(s, 0, sizeof *s);
    s->item = item;
    s->part = part;
    return s;
}

static pab_verdict on_stream_chunk(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_stream_chunk *k) {
    if (!inst->s.scan_response) return PAB_VERDICT_ALLOW;
    const pab_host_api *h = inst->host;
    if (ex == NULL) {
        h->set_error(c, cstr("pii-detector: no exchange state for a stream"));
        return PAB_VERDICT_ERROR;
    }
    int terminal = is_terminal(k);
    uint32_t finished[MAX_FINISHED];
    size_t nfinished = terminal ? 0 : finished_choices(k, finished, MAX_FINISHED);
    int mutated = 0;
    pii_found f;
    memset(&f, 0, sizeof f);
    pii_buf out = {0};
    uint32_t count = h->segment_count(c);
    for (uint32_t i = 0; i < count; i++) {
        pab_segment seg;
        memset(&seg, 0, sizeof seg);
        seg.struct_size = (uint32_t)sizeof seg;
        if (h->get_segment(c, i, &seg) != PAB_OK) continue;
        const char *t = seg.text.ptr != NULL ? (const char *)seg.text.ptr : "";
        pii_buf_clear(&out);
        if (seg.kind == PAB_SEGMENT_DELTA) {
            pii_stream *s = stream_for(ex, seg.item_index, seg.part_index);
            if (s == NULL) goto out_of_memory;
            int last = contains_item(finished, nfinished, seg.item_index); /* content and finish_reason together */
            if (pii_stream_feed(s, &inst->s.detect, &inst->s.redaction, inst->s.hold_back_max, t, seg.text.len, last,
                                &out, &f) != 0) {
                goto out_of_memory;
            }
        } else if (seg.kind == PAB_SEGMENT_OUTPUT) {
            pii_match *m = NULL;
            size_t n = 0;
            if (scan_text(inst, t, seg.text.len, &m, &n) != 0) goto out_of_memory;
            for (size_t q = 0; q < n; q++) {
                f.count[m[q].type]++;
                f.total++;
            }
            int rc = pii_redact_append(&inst->s.redaction, &inst->s.detect, t, seg.text.len, m, n, &out);
            free(m);
            if (rc != 0) goto out_of_memory;
        } else {
            continue;
        }
        if (out.len == seg.text.len && (out.len == 0 || memcmp(out.data, t, out.len) == 0)) continue;
        if (must_block(inst, &f)) break; /* no point rewriting what is about to be refused */
        if (h->replace_segment_text(c, i, view_of(out.data != NULL ? out.data : "", out.len)) != PAB_OK) {
            pii_buf_free(&out);
            h->set_error(c, cstr("pii-detector: the host refused replace_segment_text"));
            return PAB_VERDICT_ERROR;
        }
        mutated = 1;
    }
    if ((terminal || nfinished > 0) && !must_block(inst, &f)) {
        /* Release what the finished streams still hold (all of them at the terminal event), as delta events
         * before this one. */
        for (size_t q = 0; q < ex->nstreams; q++) {
            pii_stream *s = &ex->streams[q];
            if (s->pending.len == 0 && !s->in_private_key) continue;
            if (!terminal && !contains_item(finished, nfinished, s->item)) continue;
            pii_buf_clear(&out);
            if (pii_stream_feed(s, &inst->s.detect, &inst->s.redaction, inst->s.hold_back_max, "", 0, 1, &out, &f) != 0) {
                goto out_of_memory;
            }
            if (must_block(inst, &f)) break;
            if (out.len == 0) continue;
            if (h->insert_delta(c, s->item, s->part, view_of(out.data, out.len)) != PAB_OK) {
                pii_buf_free(&out);
                h->set_error(c, cstr("pii-detector: the host refused insert_delta"));
                return PAB_VERDICT_ERROR;
            }
            counter_add(inst, inst->c_released, 1);
        }
    }
    pii_buf_free(&out);
    if (must_block(inst, &f)) return deny(inst, ex, c, &f, 0);
    if (f.total > 0) {
        record(inst, ex, c, &f, 0);
        counter_add(inst, inst->c_redacted, 1);
    }
    return mutated ? PAB_VERDICT_MUTATE : PAB_VERDICT_ALLOW;

out_of_memory:
    pii_buf_free(&out);
    return oom(inst, c);
}

/* ------------------------------------------------------------------------------- lifecycle */

static pab_rc exchange_begin(pab_instance *inst, pab_call *c, pab_exchange **out) {
    (void)inst;
    (void)c;
    pab_exchange *ex = calloc(1, sizeof *ex);
    if (ex == NULL) return PAB_ERR_FAILED;
    *out = ex;
    return PAB_OK;
}

static void exchange_end(pab_instance *inst, pab_exchange *ex, pab_call *c, pab_end_reason reason) {
    (void)c;
    (void)reason;
    if (ex == NULL) return;
    size_t dropped = 0;
    for (size_t k = 0; k < ex->nstreams; k++) {
        dropped += ex->streams[k].pending.len;
        pii_stream_free(&ex->streams[k]);
    }
    if (dropped > 0) {
        /* The stream ended without its final event: held text was never sent (never unredacted). */
        char msg[96];
        snprintf(msg, sizeof msg, "stream ended with %zu held bytes not released", dropped);
        log_msg(inst, PAB_LOG_DEBUG, msg);
    }
    free(ex->streams);
    free(ex);
}

static pab_rc create(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap) {
    pab_instance *inst = calloc(1, sizeof *inst);
    if (inst == NULL) {
        snprintf(err, err_cap, "out of memory");
        return PAB_ERR_FAILED;
    }
    const char *json = args->config_json.ptr != NULL ? (const char *)args->config_json.ptr : "{}";
    size_t len = args->config_json.ptr != NULL ? args->config_json.len : 2;
    if (pii_settings_parse(json, len, &inst->s, err, err_cap) != 0) {
        free(inst);
        return PAB_ERR_FAILED;
    }
    inst->host = args->host;
    inst->hi = args->host_instance;
    define_counter(inst, "matches_total", &inst->c_matches);
    define_counter(inst, "redacted_total", &inst->c_redacted);
    define_counter(inst, "blocked_total", &inst->c_blocked);
    define_counter(inst, "stream_releases_total", &inst->c_released);
    for (uint32_t t = 0; t < PII_TYPE_SLOTS; t++) {
        inst->c_type[t] = COUNTER_NONE;
        int builtin = t < PII_BUILTIN_COUNT && (inst->s.detect.types & PII_TYPE_BIT(t));
        int custom = t >= PII_TYPE_CUSTOM_BASE && t - PII_TYPE_CUSTOM_BASE < inst->s.detect.pattern_count;
        if (!builtin && !custom) continue;
        char name[80] = "matches_";
        size_t n = 8;
        for (const char *p = pii_type_name(&inst->s.detect, t); *p != '\0' && n < 64; p++) {
            name[n++] = (*p >= 'A' && *p <= 'Z') ? (char)(*p + 32) : *p;
        }
        name[n] = '\0';
        define_counter(inst, name, &inst->c_type[t]);
    }
    *out = inst;
    return PAB_OK;
}

static void destroy(pab_instance *inst) {
    if (inst == NULL) return;
    pii_settings_free(&inst->s);
    free(inst);
}

static const char schema[] =
    "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
    "\"action\":{\"enum\":[\"redact\",\"block\"],\"default\":\"redact\"},"
    "\"entities\":{\"type\":\"array\",\"items\":{\"enum\":[\"EMAIL_ADDRESS\",\"PHONE_NUMBER\",\"CREDIT_CARD\","
    "\"IBAN_CODE\",\"US_SSN\",\"IP_ADDRESS\",\"OPENAI_API_KEY\",\"ANTHROPIC_API_KEY\",\"AWS_ACCESS_KEY_ID\","
    "\"AWS_SECRET_ACCESS_KEY\",\"GITHUB_TOKEN\",\"SLACK_TOKEN\",\"GOOGLE_API_KEY\",\"JWT\",\"PRIVATE_KEY\","
    "\"SECRETS\",\"ALL\"]}},"
    "\"pci_mode\":{\"type\":\"boolean\",\"default\":false},"
    "\"healthcare_mode\":{\"const\":false},"
    "\"detect_patterns\":{\"type\":\"array\",\"maxItems\":32,\"items\":{\"type\":\"object\","
    "\"additionalProperties\":false,\"required\":[\"name\",\"pattern\"],\"properties\":{"
    "\"name\":{\"type\":\"string\",\"pattern\":\"^[A-Z0-9_]{1,48}$\"},\"pattern\":{\"type\":\"string\"}}}},"
    "\"redaction\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
    "\"style\":{\"enum\":[\"label\",\"asterisk\",\"partial\",\"preserve_length\"],\"default\":\"label\"},"
    "\"marker_format\":{\"enum\":[\"label\",\"asterisk\",\"partial\",\"preserve_length\"]},"
    "\"label_format\":{\"type\":\"string\",\"default\":\"[{TYPE}]\"},"
    "\"preserve_length\":{\"type\":\"boolean\",\"default\":false},"
    "\"custom_markers\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}},"
    "\"include_metadata\":{\"type\":\"boolean\",\"default\":true}}},"
    "\"scan_request\":{\"type\":\"boolean\",\"default\":true},"
    "\"scan_response\":{\"type\":\"boolean\",\"default\":true},"
    "\"block_message\":{\"type\":\"string\"},"
    "\"hold_back_max\":{\"type\":\"integer\",\"minimum\":64,\"maximum\":1048576,\"default\":8192}}}";

static const pab_plugin descriptor = {
    .struct_size = (uint32_t)sizeof(pab_plugin),
    .abi_major = (uint16_t)PAB_ABI_MAJOR,
    .abi_minor = (uint16_t)PAB_ABI_MINOR,
    .name = "pii-detector",
    .version = "1.0.0",
    .description = "Redacts or blocks personal data and secrets (e-mail, phone, card, IBAN, SSN, IP, API keys) in "
                   "requests, responses and streams",
    .capabilities = PAB_CAP_MUTATES_REQUEST | PAB_CAP_MUTATES_RESPONSE,
    .config_schema_json = schema,
    .create = create,
    .destroy = destroy,
    .exchange_begin = exchange_begin,
    .exchange_end = exchange_end,
    .on_request = on_request,
    .on_response = on_response,
    .on_stream_chunk = on_stream_chunk,
    .on_stream_end = NULL,
};

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *host) {
    if (host == NULL || host->abi_major != PAB_ABI_MAJOR) return NULL;
    if (host->struct_size < offsetof(pab_host_api, deadline_ns) + sizeof host->deadline_ns) {
        if (host->log != NULL) host->log(NULL, PAB_LOG_ERROR, cstr("pii-detector: host API table too small"));
        return NULL;
    }
    return &descriptor;
}
