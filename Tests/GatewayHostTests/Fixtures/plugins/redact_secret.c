/* HOST MUST SAY: nothing; upstream and client see "[REDACTED]" for every SECRET-<digits> */
/*
 * redact_secret.c: test plugin "redact-secret". Replaces every token matching SECRET-[0-9]+ with
 * "[REDACTED]" in every text segment: request segments (on_request), response output segments
 * (on_response) and stream delta segments (on_stream_chunk). Returns MUTATE only when it changed
 * something. A token split across two stream deltas is NOT caught (test plugin, kept simple).
 * Counter "redactions" counts replaced tokens. No config. Instance is read-only after create.
 */
#include "policy_abi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char PREFIX[] = "SECRET-";
static const char REPLACEMENT[] = "[REDACTED]";
#define PREFIX_LEN (sizeof PREFIX - 1)
#define REPLACEMENT_LEN (sizeof REPLACEMENT - 1)

typedef struct redactor {
    const pab_host_api *host;
    pab_host_instance *hi;
    uint32_t counter;
} redactor;

static pab_view text(const char *s) { return (pab_view){(const uint8_t *)s, strlen(s)}; }

/* Length of the SECRET-[0-9]+ token starting at p[i], or 0 if none starts there. */
static size_t token_at(const uint8_t *p, size_t n, size_t i) {
    if (n - i <= PREFIX_LEN || memcmp(p + i, PREFIX, PREFIX_LEN) != 0) return 0;
    size_t k = i + PREFIX_LEN;
    while (k < n && p[k] >= '0' && p[k] <= '9') k++;
    return k > i + PREFIX_LEN ? k - i : 0;
}

static pab_rc create(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap) {
    redactor *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, err_cap, "out of memory");
        return PAB_ERR_FAILED;
    }
    r->host = args->host;
    r->hi = args->host_instance;
    if (r->host->counter_define(r->hi, text("redactions"), &r->counter) != PAB_OK) {
        free(r);
        snprintf(err, err_cap, "cannot define counter redactions");
        return PAB_ERR_FAILED;
    }
    *out = (pab_instance *)r;
    return PAB_OK;
}

static void destroy(pab_instance *inst) { free(inst); }

/* Redacts every segment of the current call. */
static pab_verdict redact(pab_instance *inst, pab_call *c) {
    const redactor *r = (const redactor *)inst;
    uint64_t total = 0;
    uint32_t n = r->host->segment_count(c);
    for (uint32_t i = 0; i < n; i++) {
        pab_segment seg = {.struct_size = sizeof seg};
        if (r->host->get_segment(c, i, &seg) != PAB_OK) continue;
        const uint8_t *p = seg.text.ptr;
        size_t len = seg.text.len, hits = 0;
        for (size_t k = 0; k < len; k++) {
            size_t t = token_at(p, len, k);
            if (t) {
                hits++;
                k += t - 1;
            }
        }
        if (hits == 0) continue;
        /* A token is at least PREFIX_LEN + 1 = 8 bytes and the replacement 10: at most 2 more per hit. */
        uint8_t *buf = malloc(len + hits * (REPLACEMENT_LEN - PREFIX_LEN - 1));
        if (!buf) {
            r->host->set_error(c, text("out of memory"));
            return PAB_VERDICT_ERROR;
        }
        size_t o = 0;
        for (size_t k = 0; k < len;) {
            size_t t = token_at(p, len, k);
            if (t) {
                memcpy(buf + o, REPLACEMENT, REPLACEMENT_LEN);
                o += REPLACEMENT_LEN;
                k += t;
            } else {
                buf[o++] = p[k++];
            }
        }
        pab_rc rc = r->host->replace_segment_text(c, i, (pab_view){buf, o});
        free(buf);
        if (rc != PAB_OK) {
            r->host->set_error(c, text("replace_segment_text failed"));
            return PAB_VERDICT_ERROR;
        }
        total += hits;
    }
    if (total == 0) return PAB_VERDICT_ALLOW;
    r->host->counter_add(r->hi, r->counter, total);
    return PAB_VERDICT_MUTATE;
}

static pab_verdict on_request(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_request *req) {
    (void)ex, (void)req;
    return redact(inst, c);
}
static pab_verdict on_response(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_response *resp) {
    (void)ex, (void)resp;
    return redact(inst, c);
}
static pab_verdict on_stream_chunk(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_stream_chunk *k) {
    (void)ex, (void)k;
    return redact(inst, c);
}

static const pab_plugin descriptor = {
    .struct_size = sizeof(pab_plugin),
    .abi_major = PAB_ABI_MAJOR,
    .abi_minor = PAB_ABI_MINOR,
    .name = "redact-secret",
    .version = "1.0.0",
    .description = "Test fixture: replaces SECRET-<digits> with [REDACTED] in requests and responses.",
    .capabilities = PAB_CAP_MUTATES_REQUEST | PAB_CAP_MUTATES_RESPONSE,
    .create = create,
    .destroy = destroy,
    .on_request = on_request,
    .on_response = on_response,
    .on_stream_chunk = on_stream_chunk,
};

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *host) {
    (void)host;
    return &descriptor;
}
