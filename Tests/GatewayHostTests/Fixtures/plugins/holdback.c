/* HOST MUST SAY: nothing (a well-behaved test plugin); it holds streamed text back and releases it later. */
/*
 * holdback.c: a test plugin ("holdback") that holds streamed text back, as a redactor or a keyword scanner
 * does while a match might continue in the next event, and releases it with insert_delta.
 *
 * Config: {"release_at": N} (integer 1..4096, default 8). on_stream_chunk: an event with a delta segment
 * (choice / output item 0) is dropped and its text appended to the exchange's buffer; whenever the buffer
 * holds N bytes or more, its first N bytes are released (insert_delta) before the current event. The final
 * event releases everything left. Text is expected to be ASCII (the host tests use ASCII), so cutting at a
 * byte count never splits a character.
 *
 * Chained several times with different N, the releases of one must reach the next as events it sees and
 * holds back in turn: the client must still receive the text in its original order.
 */
#define _POSIX_C_SOURCE 200809L
#include "pab_json.h"
#include "policy_abi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const pab_host_api *host;

typedef struct holdback {
    int64_t release_at;
} holdback;

typedef struct held {
    char *text;
    size_t len, cap;
} held;

static pab_rc create(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap) {
    int64_t release_at = 8;
    pab_json root;
    pab_json_error jerr;
    int rc = pab_json_parse((const char *)args->config_json.ptr, args->config_json.len, 0, &root, &jerr) == 0
                 ? pab_json_get_int(&root, "release_at", 1, 4096, &release_at)
                 : PAB_JSON_WRONG_TYPE; /* the host only sends valid JSON: any failure is reported as below */
    pab_json_free(&root);
    if (rc != PAB_JSON_OK && rc != PAB_JSON_MISSING) {
        snprintf(err, err_cap, "release_at must be an integer between 1 and 4096");
        return PAB_ERR_FAILED;
    }
    holdback *inst = malloc(sizeof *inst);
    if (!inst) {
        snprintf(err, err_cap, "out of memory");
        return PAB_ERR_FAILED;
    }
    inst->release_at = release_at;
    *out = (pab_instance *)inst;
    return PAB_OK;
}

static void destroy(pab_instance *inst) { free(inst); }

static pab_rc exchange_begin(pab_instance *inst, pab_call *c, pab_exchange **out) {
    (void)inst, (void)c;
    held *h = calloc(1, sizeof *h);
    if (!h) return PAB_ERR_FAILED;
    *out = (pab_exchange *)h;
    return PAB_OK;
}

static void exchange_end(pab_instance *inst, pab_exchange *ex, pab_call *c, pab_end_reason reason) {
    (void)inst, (void)c, (void)reason;
    held *h = (held *)ex;
    free(h->text);
    free(h);
}

static int append(held *h, pab_view text) {
    if (h->len + text.len > h->cap) {
        size_t cap = (h->len + text.len) * 2 + 16;
        char *grown = realloc(h->text, cap);
        if (!grown) return 0;
        h->text = grown;
        h->cap = cap;
    }
    if (text.len) memcpy(h->text + h->len, text.ptr, text.len);
    h->len += text.len;
    return 1;
}

/* Releases the first n held bytes. */
static void release(held *h, pab_call *c, size_t n) {
    host->insert_delta(c, 0, 0, (pab_view){(const uint8_t *)h->text, n});
    memmove(h->text, h->text + n, h->len - n);
    h->len -= n;
}

static pab_verdict on_stream_chunk(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_stream_chunk *k) {
    const holdback *hb = (const holdback *)inst;
    held *h = (held *)ex;
    int had_delta = 0;
    for (uint32_t n = 0; n < host->segment_count(c); n++) {
        pab_segment s = {.struct_size = sizeof s};
        if (host->get_segment(c, n, &s) != PAB_OK || s.kind != PAB_SEGMENT_DELTA) continue;
        if (!append(h, s.text)) {
            host->set_error(c, (pab_view){(const uint8_t *)"out of memory", 13});
            return PAB_VERDICT_ERROR;
        }
        had_delta = 1;
    }
    while (h->len >= (size_t)hb->release_at) release(h, c, (size_t)hb->release_at);
    if (k->is_final && h->len > 0) release(h, c, h->len);
    return had_delta ? PAB_VERDICT_DROP : PAB_VERDICT_ALLOW;
}

static const pab_plugin descriptor = {
    .struct_size = sizeof(pab_plugin),
    .abi_major = PAB_ABI_MAJOR,
    .abi_minor = PAB_ABI_MINOR,
    .name = "holdback",
    .version = "1.0.0",
    .description = "Test fixture: holds streamed text back and releases it in fixed-size pieces.",
    .capabilities = PAB_CAP_MUTATES_RESPONSE,
    .create = create,
    .destroy = destroy,
    .exchange_begin = exchange_begin,
    .exchange_end = exchange_end,
    .on_stream_chunk = on_stream_chunk,
};

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *h) {
    host = h;
    return &descriptor;
}
