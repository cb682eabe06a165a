/*
 * pii_stream.c: see pii_stream.h. Each delta is appended to what was held; the whole (with the last
 * released bytes in front as context) is scanned; the text before the hold point (pii_hold_start, moved
 * back so that it never splits a match) is released redacted, the rest is held for the next delta.
 */
#include "pii_stream.h"

#include <stdlib.h>
#include <string.h>

#include "pii_text.h"

/* End of the "-----END ... KEY-----" line at or after `from`, or 0. */
static size_t find_key_end(const char *t, size_t len, size_t from) {
    for (size_t q = from; q + 8 <= len; q++) {
        if (t[q] != '-' || !pii_has_prefix(t, len, q, "-----END")) continue;
        for (size_t r = q + 8; r < len && t[r] != '\n'; r++) {
            if (pii_has_prefix(t, len, r, "KEY BLOCK-----")) return r + 14;
            if (pii_has_prefix(t, len, r, "KEY-----")) return r + 8;
        }
    }
    return 0;
}

/* Moves p forward to the start of a UTF-8 character. */
static size_t utf8_boundary(const char *t, size_t len, size_t p) {
    while (p < len && ((unsigned char)t[p] & 0xC0) == 0x80) p++;
    return p;
}

static int scan_all(const pii_config *cfg, const char *t, size_t len, size_t from, pii_match **m, size_t *n) {
    size_t cap = 16;
    for (;;) {
        pii_match *v = malloc(cap * sizeof *v);
        if (v == NULL) return -1;
        size_t got = pii_scan_from(cfg, t, len, from, v, cap);
        if (got == PII_SCAN_ERROR) {
            free(v);
            return -1;
        }
        if (got <= cap) {
            *m = v;
            *n = got;
            return 0;
        }
        free(v);
        cap = got;
    }
}

/* Where the release of this delta ends: the hold point, moved back so that no match is split and no match
 * that reaches the end of the text (it might still grow) is released, then forward again if more than
 * hold_max bytes would stay held. */
static size_t release_point(const pii_config *cfg, const char *t, size_t wlen, size_t scan_from, const pii_match *m,
                            size_t n, size_t hold_max) {
    size_t R = pii_hold_start(cfg, t, wlen, scan_from);
    for (size_t k = n; k-- > 0;) {
        if (m[k].start < R && (m[k].end > R || m[k].end == wlen)) R = m[k].start;
    }
    if (R < scan_from) R = scan_from;
    if (wlen - R > hold_max) {
        size_t R2 = utf8_boundary(t, wlen, wlen - hold_max);
        if (R2 < scan_from) R2 = scan_from;
        for (size_t k = 0; k < n; k++) {
            if (m[k].start < R2 && m[k].end > R2) R2 = m[k].end; /* release the whole match, redacted */
        }
        R = R2;
    }
    return R;
}

int pii_stream_feed(pii_stream *s, const pii_config *cfg, const pii_redaction *r, size_t hold_max, const char *delta,
                    size_t len, int final, pii_buf *release, pii_found *found) {
    pii_buf work = {0};
    if (pii_buf_append(&work, s->ctx, s->ctx_len) != 0 || pii_buf_append(&work, s->pending.data, s->pending.len) != 0 ||
        pii_buf_append(&work, delta, len) != 0) {
        pii_buf_free(&work);
        return -1;
    }
    const char *t = work.data;
    size_t wlen = work.len, from = s->ctx_len, scan_from = from, R = wlen;
    size_t release_len0 = release->len;
    pii_found tally;
    memset(&tally, 0, sizeof tally);
    int rc = 0, in_key = 0;
    pii_match *m = NULL;
    size_t n = 0;

    if (s->in_private_key) {
        /* The block's start went out redacted earlier; everything up to its END line is key material. */
        pii_match head = {from, 0, PII_PRIVATE_KEY, PII_MATCH_CONTINUATION};
        size_t e = find_key_end(t, wlen, from);
        if (e != 0) {
            head.end = e;
            scan_from = e;
        } else {
            size_t keep = final ? 0 : (wlen - from < PII_STREAM_END_TAIL ? wlen - from : PII_STREAM_END_TAIL);
            head.end = utf8_boundary(t, wlen, wlen - keep);
            scan_from = R = head.end;
            in_key = !final;
        }
        if (head.end > head.start) rc = pii_redact_one(r, cfg, t, &head, release);
        if (rc != 0 || e == 0) goto commit;
    }

    rc = scan_all(cfg, t, wlen, scan_from, &m, &n);
    if (rc != 0) goto commit;
    R = final ? wlen : release_point(cfg, t, wlen, scan_from, m, n, hold_max);
    size_t at = scan_from;
    for (size_t k = 0; k < n && m[k].end <= R && rc == 0; k++) {
        rc = pii_buf_append(release, t + at, m[k].start - at);
        if (rc == 0) rc = pii_redact_one(r, cfg, t, &m[k], release);
        at = m[k].end;
        if (m[k].type < PII_TYPE_SLOTS) {
            tally.count[m[k].type]++;
            tally.total++;
        }
        /* A key block released before its END (it outgrew the hold-back): the rest is key material. */
        if (!final && (m[k].flags & PII_MATCH_UNTERMINATED)) in_key = 1;
    }
    if (rc == 0) rc = pii_buf_append(release, t + at, R - at);
    free(m);

commit:
    if (rc == 0) {
        pii_buf rest = {0};
        rc = pii_buf_append(&rest, t + R, wlen - R);
        if (rc == 0) {
            pii_buf_free(&s->pending);
            s->pending = rest;
            size_t c0 = R > PII_STREAM_CTX ? R - PII_STREAM_CTX : 0;
            s->ctx_len = R - c0;
            memcpy(s->ctx, t + c0, s->ctx_len);
            s->in_private_key = in_key;
            for (size_t k = 0; k < PII_TYPE_SLOTS; k++) found->count[k] += tally.count[k];
            found->total += tally.total;
        }
    }
    if (rc != 0) {
        release->len = release_len0; /* nothing released, nothing changed */
        if (release->data != NULL) release->data[release->len] = '\0';
    }
    pii_buf_free(&work);
    return rc;
}

void pii_stream_free(pii_stream *s) { pii_buf_free(&s->pending); }
