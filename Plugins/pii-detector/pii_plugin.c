/*
 * pii_plugin.c: the PolicyABI v1 glue of the pii-detector policy. Everything about detection lives in the
 * core (pii_detect.h); this file maps hooks to scans:
 *   on_request       every MESSAGE / INPUT segment (tool results are MESSAGE / INPUT with role "tool") and,
 *                    with PolicyABI v1.1, every TOOL_ARGUMENTS and TOOL_DESCRIPTION segment: redact in
 *                    place (MUTATE) or DENY input_blocked;
 *   on_response      every OUTPUT, TOOL_ARGUMENTS and REFUSAL segment of a non-streamed answer: the same
 *                    with output_blocked;
 *   on_stream_chunk  in pii_plugin_stream.c.
 * Tags carry types and counts only, never values. The instance is read-only after create; per-exchange
 * state lives in pab_exchange.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pii_buf.h"
#include "pii_glue.h"
#include "pii_redact.h"

/* ------------------------------------------------------------------------------------------ helpers */

void pii_glue_log(pab_instance *inst, pab_log_level level, const char *msg) {
    if (inst->host->log_enabled(level)) inst->host->log(inst->hi, level, pii_cstr(msg));
}

void pii_glue_count(pab_instance *inst, uint32_t id, uint64_t n) {
    if (id != COUNTER_NONE && n > 0) inst->host->counter_add(inst->hi, id, n);
}

static void define_counter(pab_instance *inst, const char *name, uint32_t *id) {
    *id = COUNTER_NONE;
    if (inst->host->counter_define(inst->hi, pii_cstr(name), id) != PAB_OK) {
        *id = COUNTER_NONE;
        char msg[128];
        snprintf(msg, sizeof msg, "could not define counter %s", name);
        pii_glue_log(inst, PAB_LOG_WARN, msg);
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

int pii_glue_must_block(const pab_instance *inst, const pii_found *f) {
    if (f->total == 0) return 0;
    return inst->s.action == PII_ACTION_BLOCK || (inst->s.pci_mode && f->count[PII_CREDIT_CARD] > 0);
}

/* Adds this call's findings to the exchange, updates tags and counters. */
void pii_glue_record(pab_instance *inst, pab_exchange *ex, pab_call *c, const pii_found *f, int blocked) {
    if (f->total == 0) return;
    pii_glue_count(inst, inst->c_matches, f->total);
    for (uint32_t t = 0; t < PII_TYPE_SLOTS; t++) pii_glue_count(inst, inst->c_type[t], f->count[t]);
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
        inst->host->set_tag(c, pii_cstr(pii_type_name(&inst->s.detect, t)), pii_cstr(value));
    }
    int any_blocked = blocked || (ex != NULL && ex->blocked);
    inst->host->set_tag(c, pii_cstr("action"), pii_cstr(any_blocked ? "blocked" : "redacted"));
}

pab_verdict pii_glue_deny(pab_instance *inst, pab_exchange *ex, pab_call *c, const pii_found *f, int request) {
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
        inst->host->set_error(c, pii_cstr("pii-detector: out of memory building the block message"));
        return PAB_VERDICT_ERROR;
    }
    inst->host->deny(c, 409, pii_cstr(request ? "input_blocked" : "output_blocked"), pii_view(msg.data, msg.len));
    pii_buf_free(&msg);
    pii_glue_record(inst, ex, c, f, 1);
    pii_glue_count(inst, inst->c_blocked, 1);
    char line[600];
    snprintf(line, sizeof line, "blocked %s: %s", request ? "request" : "response", types);
    pii_glue_log(inst, PAB_LOG_INFO, line);
    return PAB_VERDICT_DENY;
}

pab_verdict pii_glue_oom(pab_instance *inst, pab_call *c) {
    inst->host->set_error(c, pii_cstr("pii-detector: out of memory"));
    return PAB_VERDICT_ERROR;
}

/* Scans text into a growing match array. Returns 0 or -1 (out of memory). */
int pii_glue_scan(const pab_instance *inst, const char *t, size_t n, pii_match **m, size_t *count) {
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

/* Scans every segment whose kind is in `kinds` (PII_KIND bits); redacts (MUTATE) or denies. A replaced
 * TOOL_ARGUMENTS value is written back by the host as a JSON string, so any redaction is safe there. */
static pab_verdict scan_segments(pab_instance *inst, pab_exchange *ex, pab_call *c, uint32_t kinds, int request) {
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
        if (seg.kind >= 32 || !(kinds & PII_KIND(seg.kind))) continue;
        const char *t = (const char *)seg.text.ptr;
        pii_match *m = NULL;
        size_t n = 0;
        if (pii_glue_scan(inst, t != NULL ? t : "", seg.text.len, &m, &n) != 0) goto out_of_memory;
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
    if (pii_glue_must_block(inst, &f)) {
        verdict = pii_glue_deny(inst, ex, c, &f, request);
    } else if (nedits > 0) {
        verdict = PAB_VERDICT_MUTATE;
        for (size_t k = 0; k < nedits; k++) {
            if (h->replace_segment_text(c, edits[k].index, pii_view(edits[k].text.data, edits[k].text.len)) != PAB_OK) {
                h->set_error(c, pii_cstr("pii-detector: the host refused replace_segment_text"));
                verdict = PAB_VERDICT_ERROR;
                break;
            }
        }
        if (verdict == PAB_VERDICT_MUTATE) {
            pii_glue_record(inst, ex, c, &f, 0);
            pii_glue_count(inst, inst->c_redacted, 1);
        }
    }
    for (size_t k = 0; k < nedits; k++) pii_buf_free(&edits[k].text);
    free(edits);
    return verdict;

out_of_memory:
    for (size_t k = 0; k < nedits; k++) pii_buf_free(&edits[k].text);
    free(edits);
    return pii_glue_oom(inst, c);
}

/* Everything a model reads in a request. The v1.1 kinds only come from a host that saw our capability. */
#define REQUEST_KINDS                                                                                          \
    (PII_KIND(PAB_SEGMENT_MESSAGE) | PII_KIND(PAB_SEGMENT_INPUT) | PII_KIND(PAB_SEGMENT_TOOL_ARGUMENTS) |      \
     PII_KIND(PAB_SEGMENT_TOOL_DESCRIPTION))
/* Everything a client receives in a non-streamed answer. */
#define RESPONSE_KINDS                                                                                         \
    (PII_KIND(PAB_SEGMENT_OUTPUT) | PII_KIND(PAB_SEGMENT_TOOL_ARGUMENTS) | PII_KIND(PAB_SEGMENT_REFUSAL))

static pab_verdict on_request(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_request *r) {
    (void)r;
    if (!inst->s.scan_request) return PAB_VERDICT_ALLOW;
    return scan_segments(inst, ex, c, REQUEST_KINDS, 1);
}

static pab_verdict on_response(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_response *r) {
    (void)r;
    if (!inst->s.scan_response) return PAB_VERDICT_ALLOW;
    return scan_segments(inst, ex, c, RESPONSE_KINDS, 0);
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
        pii_glue_log(inst, PAB_LOG_DEBUG, msg);
    }
    free(ex->streams);
    free(ex->frags);
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
    .version = "1.1.0",
    .description = "Redacts or blocks personal data and secrets (e-mail, phone, card, IBAN, SSN, IP, API keys) in "
                   "requests, responses and streams",
    /* PII_CAP_EXTENDED_SEGMENTS: tool-call arguments, refusals and tool descriptions reach a model or a
     * client as much as message text does (0 when built against a v1.0 header). */
    .capabilities = PAB_CAP_MUTATES_REQUEST | PAB_CAP_MUTATES_RESPONSE | PII_CAP_EXTENDED_SEGMENTS | PII_CAP_INLINE_SAFE,
    .config_schema_json = schema,
    .create = create,
    .destroy = destroy,
    .exchange_begin = exchange_begin,
    .exchange_end = exchange_end,
    .on_request = on_request,
    .on_response = on_response,
    .on_stream_chunk = pii_on_stream_chunk,
    .on_stream_end = NULL,
};

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *host) {
    if (host == NULL || host->abi_major != PAB_ABI_MAJOR) return NULL;
    if (host->struct_size < offsetof(pab_host_api, deadline_ns) + sizeof host->deadline_ns) {
        if (host->log != NULL) host->log(NULL, PAB_LOG_ERROR, pii_cstr("pii-detector: host API table too small"));
        return NULL;
    }
    return &descriptor;
}
