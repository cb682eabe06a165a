/*
 * pii_fragment.c: see pii_fragment.h. Each fragment is lexed (which bytes are string content, which belong
 * to an escape sequence, which are outside any string), scanned as plain text, and every match is narrowed
 * to the string content it covers before it is replaced, so the JSON the client assembles stays valid.
 */
#include "pii_fragment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pii_text.h"

/* pii_json_lex.escape right after a backslash: the next byte says how long the escape is (\uXXXX: 5). */
#define ESCAPE_START 0xFFu

/* Byte classes. */
#define OUTSIDE 0u /* structure, whitespace, numbers, literals and the quotes themselves */
#define ESCAPE 1u  /* a byte of an escape sequence inside a string */
#define CONTENT 2u /* a byte of a string that stands for itself */

static int is_number_byte(unsigned char c) {
    return pii_is_digit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static void classify(pii_json_lex *lex, const char *t, size_t len, uint8_t *cls) {
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        if (!lex->in_string) {
            cls[i] = OUTSIDE;
            lex->in_string = c == '"';
            lex->after_number = (uint8_t)is_number_byte(c);
            continue;
        }
        lex->after_number = 0;
        if (lex->escape == ESCAPE_START) {
            cls[i] = ESCAPE;
            lex->escape = c == 'u' ? 4 : 0;
        } else if (lex->escape > 0) {
            cls[i] = ESCAPE;
            lex->escape--;
        } else if (c == '\\') {
            cls[i] = ESCAPE;
            lex->escape = ESCAPE_START;
        } else if (c == '"') {
            cls[i] = OUTSIDE;
            lex->in_string = 0;
        } else {
            cls[i] = CONTENT;
        }
    }
}

/* The replacement goes into JSON source: escape what a JSON string cannot hold as is (a custom marker may
 * contain quotes; a masking style keeps the backslash of an escape it masked the letter of). */
static int append_escaped(pii_buf *out, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            rc = pii_buf_append(out, esc, 2);
        } else if (c < 0x20) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            rc = pii_buf_append(out, esc, 6);
        } else {
            rc = pii_buf_append_byte(out, (char)c);
        }
        if (rc != 0) return -1;
    }
    return 0;
}

static int scan_all(const pii_config *cfg, const char *t, size_t len, pii_match **m, size_t *n) {
    size_t cap = 16;
    for (;;) {
        pii_match *v = malloc(cap * sizeof *v);
        if (v == NULL) return -1;
        size_t got = pii_scan(cfg, t, len, v, cap);
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

/* A whole number outside strings ({"phone": 4155550132}): it may be replaced by a JSON string, as the host
 * does for parsed arguments. Not when the number may continue in the next fragment (it touches the end)
 * or began in the previous one. */
static int is_bare_number(const char *t, size_t len, const uint8_t *cls, size_t s, size_t e, int number_before) {
    if (e >= len) return 0;
    if (s == 0 ? number_before : (cls[s - 1] == OUTSIDE && is_number_byte((unsigned char)t[s - 1]))) return 0;
    if (cls[e] == OUTSIDE && is_number_byte((unsigned char)t[e])) return 0;
    for (size_t q = s; q < e; q++) {
        if (cls[q] != OUTSIDE || !is_number_byte((unsigned char)t[q])) return 0;
    }
    return 1;
}

int pii_redact_json_fragment(const pii_config *cfg, const pii_redaction *r, pii_json_lex *lex, const char *text,
                             size_t len, pii_buf *out, pii_found *found, size_t *skipped) {
    uint8_t *cls = malloc(len > 0 ? len : 1);
    if (cls == NULL) return -1;
    pii_json_lex next = *lex;
    classify(&next, text, len, cls);
    pii_match *m = NULL;
    size_t n = 0;
    if (scan_all(cfg, text, len, &m, &n) != 0) {
        free(cls);
        return -1;
    }
    size_t out0 = out->len, at = 0, missed = 0;
    pii_found tally;
    memset(&tally, 0, sizeof tally);
    pii_buf rep = {0};
    int rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++) {
        if (m[k].type < PII_TYPE_SLOTS) {
            tally.count[m[k].type]++;
            tally.total++;
        }
        size_t s = m[k].start, e = m[k].end;
        int bare = is_bare_number(text, len, cls, s, e, lex->after_number);
        if (!bare) {
            /* Narrow to the string the match starts in: from its first content byte to the string's end.
             * "\njane@x.co" (raw) matches "njane@x.co"; the 'n' belongs to the escape and stays. */
            while (s < e && cls[s] != CONTENT) s++;
            size_t q = s;
            while (q < e && cls[q] != OUTSIDE) q++;
            e = q;
            while (e > s && cls[e - 1] != CONTENT) e--;
            if (s >= e || s < at) {
                missed++;
                continue;
            }
        }
        pii_match one = m[k];
        one.start = s;
        one.end = e;
        rep.len = 0;
        rc = pii_buf_append(out, text + at, s - at);
        if (rc == 0) rc = pii_redact_one(r, cfg, text, &one, &rep);
        if (rc == 0 && bare) rc = pii_buf_append_byte(out, '"');
        if (rc == 0) rc = append_escaped(out, rep.data != NULL ? rep.data : "", rep.len);
        if (rc == 0 && bare) rc = pii_buf_append_byte(out, '"');
        at = e;
    }
    if (rc == 0) rc = pii_buf_append(out, text + at, len - at);
    pii_buf_free(&rep);
    free(m);
    free(cls);
    if (rc != 0) {
        out->len = out0; /* nothing appended, nothing counted, the lexer stays where it was */
        if (out->data != NULL) out->data[out->len] = '\0';
        return -1;
    }
    *lex = next;
    for (size_t t = 0; t < PII_TYPE_SLOTS; t++) found->count[t] += tally.count[t];
    found->total += tally.total;
    *skipped += missed;
    return 0;
}
