/*
 * fuzz_pii_detect.c: the pii-detector's scanners (pii_scan, pii_scan_from, every entity scanner and
 * validator behind them), the stream hold-back rule (pii_hold_start) and redaction (pii_redact_append).
 *
 * Input: 3 header bytes, then pieces split on 0x1e: custom patterns (one per line, up to 4), the text.
 *   byte 0-1: enabled built-in types (0: all);  byte 2: bits 0-1 redaction style, bit 7 scan raw bytes
 *   (otherwise the text is repaired to valid UTF-8 first, as the host only hands UTF-8).
 * Checks, beyond the sanitizers: matches are sorted, disjoint, inside the text, of an enabled type; a
 * smaller output array returns the same count and a prefix of the same matches; pii_scan_from only
 * reports matches at or after `from`; the hold point lies in [from, len] and never splits a character;
 * redaction keeps UTF-8 valid, and preserve_length keeps the length.
 */
#include "pii_detect.h"
#include "pii_redact.h"

#include "fuzz_util.h"

#define CAP 256

static void check_matches(const pii_config *cfg, const pii_match *m, size_t n, size_t from, size_t len) {
    for (size_t k = 0; k < n; k++) {
        FZ_CHECK(m[k].start < m[k].end && m[k].end <= len, "match %zu [%zu,%zu) outside [0,%zu)", k, m[k].start,
                 m[k].end, len);
        FZ_CHECK(m[k].start >= from, "match %zu starts at %zu before from=%zu", k, m[k].start, from);
        FZ_CHECK(k == 0 || m[k].start >= m[k - 1].end, "matches %zu and %zu overlap or are unsorted", k - 1, k);
        uint32_t t = m[k].type;
        int ok = (t < PII_BUILTIN_COUNT && (cfg->types & PII_TYPE_BIT(t))) ||
                 (t >= PII_TYPE_CUSTOM_BASE && t - PII_TYPE_CUSTOM_BASE < cfg->pattern_count);
        FZ_CHECK(ok, "match of a disabled or unknown type %u", t);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3) return 0;
    pii_config cfg = {0};
    cfg.types = ((uint32_t)data[0] | (uint32_t)data[1] << 8) & PII_ALL_BUILTIN_TYPES;
    if (cfg.types == 0) cfg.types = PII_ALL_BUILTIN_TYPES;
    const uint8_t style = data[2];
    fz_input in = {data + 3, size - 3, 0, 0};
    const uint8_t *piece, *pats = NULL;
    size_t len, pats_len = 0;
    if (!fz_next(&in, &pats, &pats_len)) return 0;
    if (!fz_next(&in, &piece, &len)) { /* no separator: the whole rest is the text */
        piece = pats, len = pats_len;
        pats_len = 0;
    }

    static pii_pattern patterns[4];
    char err[128];
    for (size_t a = 0; a < pats_len && cfg.pattern_count < 4;) {
        const uint8_t *nl = memchr(pats + a, '\n', pats_len - a);
        size_t e = nl ? (size_t)(nl - pats) : pats_len;
        char name[8];
        snprintf(name, sizeof name, "P%zu", cfg.pattern_count);
        if (e > a && pii_pattern_compile(&patterns[cfg.pattern_count], name, strlen(name), (const char *)pats + a,
                                         e - a, err, sizeof err) == 0)
            cfg.pattern_count++;
        a = e + 1;
    }
    cfg.patterns = patterns;

    const int raw = (style & 0x80) != 0;
    char *text = raw ? fz_dup(piece, len) : fz_utf8_dup(piece, len);
    static pii_match m[CAP], few[2];
    size_t n = pii_scan(&cfg, text, len, m, CAP);
    FZ_CHECK(n != PII_SCAN_ERROR, "scan failed");
    size_t shown = n < CAP ? n : CAP;
    check_matches(&cfg, m, shown, 0, len);
    size_t n2 = pii_scan(&cfg, text, len, few, 2);
    FZ_CHECK(n2 == n, "count %zu with a small array, %zu with a large one", n2, n);
    for (size_t k = 0; k < 2 && k < n; k++)
        FZ_CHECK(few[k].start == m[k].start && few[k].end == m[k].end && few[k].type == m[k].type, "prefix differs");

    size_t from = len ? (size_t)(style >> 2 & 0x1f) * len / 31 : 0;
    size_t nf = pii_scan_from(&cfg, text, len, from, few, 2);
    FZ_CHECK(nf != PII_SCAN_ERROR, "scan_from failed");
    check_matches(&cfg, few, nf < 2 ? nf : 2, from, len);

    size_t hold = pii_hold_start(&cfg, text, len, from);
    FZ_CHECK(hold >= from && hold <= len, "hold point %zu outside [%zu,%zu]", hold, from, len);
    if (!raw && hold > from && hold < len)
        FZ_CHECK(((unsigned char)text[hold] & 0xC0) != 0x80, "hold point %zu splits a character", hold);

    pii_redaction r;
    memset(&r, 0, sizeof r);
    r.style = style & 3;
    strcpy(r.label_format, "[{TYPE}]");
    pii_buf out = {0};
    FZ_CHECK(pii_redact_append(&r, &cfg, text, len, m, shown, &out) == 0, "redact failed");
    if (!raw) FZ_CHECK(fz_utf8_valid((const uint8_t *)out.data, out.len), "redacted text is not valid UTF-8");
    if (r.style == PII_STYLE_PRESERVE_LENGTH) FZ_CHECK(out.len == len, "preserve_length changed the length");
    pii_buf_free(&out);
    free(text);
    return 0;
}
