/*
 * fuzz_pii_config.c: the pii-detector's config parser (pii_settings.c over the shared pab_json.h) and the
 * tree-less peek its stream hook runs on every event (pii_json_top_level_string, pii_json.c).
 *
 * Input: one JSON document (a config, or a streamed event's data).
 * Checks, beyond the sanitizers and fuzz_pab_json.h's tree checks:
 *   - the peek agrees with the full parser on documents both accept (no escapes, where the two are
 *     documented to differ);
 *   - a config that parses yields a usable detector: redacting a fixed text gives valid UTF-8 whenever the
 *     config itself was valid UTF-8 (the host refuses invalid UTF-8 replacements: a policy error).
 */
#include "pii_detect.h"
#include "pii_json.h"
#include "pii_redact.h"
#include "pii_settings.h"

#include "fuzz_pab_json.h"
#include "fuzz_util.h"

static const char sample[] = "Mail jane.doe@example.com or call +1 (415) 555-0132, card 4111 1111 1111 1111, "
                             "IBAN DE89 3704 0044 0532 0130 00, SSN 123-45-6789, ip 192.168.1.20, "
                             "key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD, id ORD-123456. Grüße!";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fz_dup(data, size);
    char err[256];
    /* The config reader (the shared pab_json.h), and the stream hook's tree-less peek against it. */
    fz_pab_json_check(text, size);
    const char *v;
    size_t vlen;
    const int peeked = pii_json_top_level_string(text, size, "type", &v, &vlen); /* any bytes: must not crash */
    pab_json root;
    pab_json_error e;
    if (peeked && memchr(text, '\\', size) == NULL && pab_json_parse(text, size, 0, &root, &e) == 0) {
        const pab_json *t = pab_json_get(&root, "type");
        FZ_CHECK(t != NULL && t->type == PAB_JSON_STRING && t->str_len == vlen && memcmp(t->str, v, vlen) == 0,
                 "the top-level peek and the parser disagree on \"type\"");
        pab_json_free(&root);
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
