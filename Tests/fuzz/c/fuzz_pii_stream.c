/*
 * fuzz_pii_stream.c: the pii-detector's stream redaction (pii_stream.c with pii_hold.c behind it).
 *
 * Input: 3 header bytes, then the stream's deltas split on 0x1e (each repaired to valid UTF-8, as the host
 * only hands UTF-8 text).
 *   byte 0-1: enabled built-in types (0: all);  byte 2: bits 0-1 redaction style, bit 2 a custom pattern
 *   ("ORD-######"), bit 3 a small hold-back bound (64 bytes) instead of the largest (1 MiB).
 * Checks, beyond the sanitizers:
 *   - every release is valid UTF-8 (the host refuses anything else: the stream would fail);
 *   - with the large bound (never reached by fuzz inputs), the concatenated releases equal redacting the
 *     whole text at once, and the counts found agree: the property README.md promises, "for random texts
 *     cut at random points, the streamed output equals redacting the whole text at once".
 */
#include "pii_detect.h"
#include "pii_redact.h"
#include "pii_settings.h"
#include "pii_stream.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3) return 0;
    pii_config cfg = {0};
    cfg.types = ((uint32_t)data[0] | (uint32_t)data[1] << 8) & PII_ALL_BUILTIN_TYPES;
    if (cfg.types == 0) cfg.types = PII_ALL_BUILTIN_TYPES;
    const uint8_t flags = data[2];
    static pii_pattern pattern;
    char err[128];
    if (flags & 4) {
        FZ_CHECK(pii_pattern_compile(&pattern, "ORDER_ID", 8, "ORD-######", 10, err, sizeof err) == 0, "%s", err);
        cfg.patterns = &pattern;
        cfg.pattern_count = 1;
    }
    pii_redaction r;
    memset(&r, 0, sizeof r);
    r.style = flags & 3;
    strcpy(r.label_format, "[{TYPE}]");
    const size_t hold_max = (flags & 8) ? PII_HOLD_BACK_MIN : PII_HOLD_BACK_MAX;

    pii_stream s;
    memset(&s, 0, sizeof s);
    pii_found found;
    memset(&found, 0, sizeof found);
    pii_buf whole = {0}, streamed = {0}, release = {0};
    fz_input in = {data + 3, size - 3, 0, 0};
    const uint8_t *piece;
    size_t len;
    int more = fz_next(&in, &piece, &len);
    while (more) {
        char *delta = fz_utf8_dup(piece, len);
        const size_t dlen = len;
        more = fz_next(&in, &piece, &len); /* is there a next delta? the last one is fed as final */
        pii_buf_clear(&release);
        FZ_CHECK(pii_stream_feed(&s, &cfg, &r, hold_max, delta, dlen, !more, &release,
                                 &found) == 0,
                 "feed failed");
        FZ_CHECK(fz_utf8_valid((const uint8_t *)release.data, release.len), "a release is not valid UTF-8");
        FZ_CHECK(s.pending.len <= hold_max,
                 "held %zu bytes, bound %zu", s.pending.len, hold_max);
        if (release.len) pii_buf_append(&streamed, release.data, release.len);
        pii_buf_append(&whole, delta, dlen);
        free(delta);
    }
    FZ_CHECK(s.pending.len == 0, "%zu bytes still held after the final delta", s.pending.len);

    if (hold_max == PII_HOLD_BACK_MAX) {
        pii_match m[512];
        size_t n = pii_scan(&cfg, whole.data ? whole.data : "", whole.len, m, 512);
        if (n != PII_SCAN_ERROR && n <= 512) {
            pii_buf batch = {0};
            FZ_CHECK(pii_redact_append(&r, &cfg, whole.data ? whole.data : "", whole.len, m, n, &batch) == 0, "redact");
            int same = batch.len == streamed.len && (batch.len == 0 || memcmp(batch.data, streamed.data, batch.len) == 0);
            if (!same) {
                fprintf(stderr, "whole:    \"%s\"\nbatch:    \"%s\"\nstreamed: \"%s\"\n", whole.data ? whole.data : "",
                        batch.data ? batch.data : "", streamed.data ? streamed.data : "");
            }
            FZ_CHECK(same, "streamed output differs from redacting the whole text");
            FZ_CHECK(found.total == n, "stream counted %u findings, the whole text has %zu", found.total, n);
            pii_buf_free(&batch);
        }
    }
    pii_stream_free(&s);
    pii_buf_free(&whole);
    pii_buf_free(&streamed);
    pii_buf_free(&release);
    return 0;
}
