/*
 * fuzz_al_record.c: what the audit-logger writes for one exchange: the record members built from the
 * exchange's attributes and tags (al_record.c: usage and verdicts JSON from the host, cost from the
 * pricing table), the JSON string writer (al_buf.c), and the chained-record check run on existing log
 * lines at start-up (al_record_hash in al_journal.c).
 *
 * Input: pieces split on 0x1e, in order: usage JSON, verdicts JSON, status, latency, model, target id,
 * request id, then tags as key=value pieces. Attributes come from the host and may hold anything; a log
 * line is whatever the last piece is.
 * Checks, beyond the sanitizers: every record is ONE line of valid JSON (the audit file is JSON Lines and
 * its hash chain is verified line by line), and so is every JSON string the writer produces from raw bytes.
 */
#define _POSIX_C_SOURCE 200809L /* strndup */
#include "al_buf.h"
#include "al_config.h"
#include "al_journal.h"
#include "al_json.h"
#include "al_record.h"
#include "mock_host.h"
#include "pab_json.h"

#include "fuzz_util.h"

static al_settings settings;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    static const char cfg[] = "{\"log_all_access\":false,\"pricing\":{\"gpt-4o-mini\":{\"completion\":0.6,"
                              "\"prompt\":0.15},\"target-a\":{\"completion\":1e6,\"prompt\":0}}}";
    char err[256];
    if (al_settings_parse(cfg, sizeof cfg - 1, "/tmp", &settings, err, sizeof err) != 0) {
        fprintf(stderr, "settings: %s\n", err);
        abort();
    }
    return 0;
}

static void check_line(const al_buf *b, const char *what) {
    FZ_CHECK(!b->failed, "%s: buffer failed", what);
    FZ_CHECK(memchr(b->data, '\n', b->len) == NULL && memchr(b->data, '\r', b->len) == NULL, "%s: line break", what);
    FZ_CHECK(fz_utf8_valid((const uint8_t *)b->data, b->len), "%s: not valid UTF-8", what);
    /* The shared reader with \u0000 allowed: the writer escapes NUL bytes, valid JSON. */
    pab_json doc;
    pab_json_error e;
    FZ_CHECK(pab_json_parse(b->data, b->len, PAB_JSON_ALLOW_NUL, &doc, &e) == 0, "%s is not valid JSON: %s at %zu\n%.*s",
             what, e.message, e.offset, (int)b->len, b->data);
    pab_json_free(&doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint32_t attr_ids[] = {PAB_ATTR_USAGE_JSON, PAB_ATTR_VERDICTS_JSON, PAB_ATTR_STATUS,
                                        PAB_ATTR_LATENCY_MS, PAB_ATTR_MODEL, PAB_ATTR_TARGET_ID,
                                        PAB_ATTR_REQUEST_ID};
    struct pab_call c;
    mh_call_init(&c, "audit-logger", 0);
    char *owned[64];
    size_t nowned = 0;
    fz_input in = {data, size, 0, 0};
    const uint8_t *piece = NULL, *last = data;
    size_t len, last_len = 0;
    while (nowned < 64 && fz_next(&in, &piece, &len)) {
        char *s = owned[nowned++] = fz_dup(piece, len);
        last = piece, last_len = len;
        if (nowned <= sizeof attr_ids / sizeof attr_ids[0]) {
            if (len > 0 || nowned > 2) c.attrs[attr_ids[nowned - 1]] = s; /* empty usage/verdicts: absent */
        } else if (c.ntags < MH_MAX_TAGS) {
            /* Tags as the host keeps them: text it decoded (invalid UTF-8 repaired), keys unique (setting a
             * key again replaces its value). */
            char *eq = strchr(s, '=');
            size_t klen = eq ? (size_t)(eq - s) : strlen(s);
            char *key = fz_utf8_dup((const uint8_t *)s, klen);
            if (mh_tag(&c, key) != NULL) {
                free(key);
                continue;
            }
            c.tag_keys[c.ntags] = key;
            c.tag_values[c.ntags] = eq ? fz_utf8_dup((const uint8_t *)eq + 1, strlen(eq + 1)) : fz_dup(NULL, 0);
            FZ_CHECK(c.tag_keys[c.ntags] && c.tag_values[c.ntags], "out of memory");
            c.ntags++;
        }
    }

    al_buf b = {0};
    al_buf_add_char(&b, '{');
    int keep = al_record_members(&mh_api, &c, &settings, "audit-logger.", (pab_end_reason)(size % 10), &b);
    al_buf_add_char(&b, '}');
    check_line(&b, "record");
    (void)keep;
    al_buf_free(&b);

    /* The string writer on raw bytes (invalid UTF-8, controls, quotes, NUL). */
    al_buf_add_json_string(&b, last, last_len);
    check_line(&b, "json string");
    al_buf_free(&b);

    /* A line read back from an existing audit file. */
    char hash[65];
    int altered = 0;
    if (al_record_hash((const char *)last, last_len, hash, &altered)) FZ_CHECK(strlen(hash) == 64, "hash length");

    mh_call_free(&c);
    for (size_t i = 0; i < nowned; i++) free(owned[i]);
    return 0;
}
