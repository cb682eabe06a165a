/*
 * fuzz_pii_config.c: the pii-detector's JSON reader (pii_json.c) and config parser (pii_settings.c).
 *
 * Input: one JSON document (a config, or a streamed event's data: both go through pii_json).
 * Checks, beyond the sanitizers:
 *   - the tree-less pii_json_top_level_string (used on every stream event) agrees with the full parser
 *     on documents both accept (no escapes, where the two are documented to differ);
 *   - a config that parses yields a usable detector: redacting a fixed text gives valid UTF-8 whenever the
 *     config itself was valid UTF-8 (the host refuses invalid UTF-8 replacements: a policy error).
 */
#include "pii_detect.h"
#include "pii_json.h"
#include "pii_redact.h"
#include "pii_settings.h"

#include "fuzz_util.h"

/* Walks the tree: every string is NUL-terminated at str_len, every object has its keys. */
static void walk(const pii_json *v, int depth) {
    FZ_CHECK(depth <= 64, "tree deeper than the parser's limit");
    switch (v->type) {
    case PII_JSON_STRING: FZ_CHECK(v->str != NULL && v->str[v->str_len] == '\0', "string not terminated"); break;
    case PII_JSON_OBJECT:
        for (size_t k = 0; k < v->count; k++) {
            FZ_CHECK(v->keys[k][v->key_lens[k]] == '\0', "key not terminated");
            FZ_CHECK(pii_json_get(v, v->keys[k]) != NULL || strlen(v->keys[k]) != v->key_lens[k], "key not found");
        }
        /* fall through: members are in items[] */
    case PII_JSON_ARRAY:
        for (size_t k = 0; k < v->count; k++) walk(&v->items[k], depth + 1);
        break;
    default: break;
    }
    FZ_CHECK(pii_json_type_name(v->type) != NULL, "no type name");
}

static const char sample[] = "Mail jane.doe@example.com or call +1 (415) 555-0132, card 4111 1111 1111 1111, "
                             "IBAN DE89 3704 0044 0532 0130 00, SSN 123-45-6789, ip 192.168.1.20, "
                             "key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD, id ORD-123456. Grüße!";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fz_dup(data, size);
    char err[256];
    pii_json root;
    if (pii_json_parse(text, size, &root, err, sizeof err) == 0) {
        walk(&root, 0);
        const char *v;
        size_t vlen;
        if (memchr(text, '\\', size) == NULL && pii_json_top_level_string(text, size, "type", &v, &vlen)) {
            const pii_json *t = pii_json_get(&root, "type");
            FZ_CHECK(t != NULL && t->type == PII_JSON_STRING && t->str_len == vlen && memcmp(t->str, v, vlen) == 0,
                     "top-level lookup and parser disagree on \"type\"");
        }
        pii_json_free(&root);
    } else {
        FZ_CHECK(err[0] != '\0', "parse failed without a message");
        const char *v;
        size_t vlen;
        (void)pii_json_top_level_string(text, size, "type", &v, &vlen); /* must not crash on broken JSON */
    }

    pii_settings s;
    if (pii_settings_parse(text, size, &s, err, sizeof err) == 0) {
        FZ_CHECK(s.detect.pattern_count <= PII_MAX_PATTERNS, "too many patterns");
        FZ_CHECK(s.hold_back_max >= PII_HOLD_BACK_MIN && s.hold_back_max <= PII_HOLD_BACK_MAX, "hold_back_max");
        pii_match m[64];
        size_t n = pii_scan(&s.detect, sample, sizeof sample - 1, m, 64);
        FZ_CHECK(n != PII_SCAN_ERROR, "scan failed");
        if (n > 64) n = 64;
        pii_buf out = {0};
        FZ_CHECK(pii_redact_append(&s.redaction, &s.detect, sample, sizeof sample - 1, m, n, &out) == 0, "redact");
        if (fz_utf8_valid(data, size))
            FZ_CHECK(fz_utf8_valid((const uint8_t *)out.data, out.len), "redacted text is not valid UTF-8");
        for (size_t k = 0; k < n; k++) FZ_CHECK(pii_type_name(&s.detect, m[k].type) != NULL, "type name");
        pii_buf_free(&out);
        pii_settings_free(&s);
    } else {
        FZ_CHECK(err[0] != '\0', "config refused without a reason");
    }
    free(text);
    return 0;
}
