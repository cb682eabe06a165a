/*
 * pii_redact.c: replacement text for matches. Masking styles keep every byte that is not an ASCII letter
 * or digit (separators, '@', line breaks, UTF-8 sequences), so the output stays valid UTF-8 and keeps the
 * shape readers expect ("****-****-****-1111").
 */
#include "pii_redact.h"

#include <string.h>

#include "pii_text.h"

static int append_label(const pii_redaction *r, const char *type_name, pii_buf *out) {
    const char *f = r->label_format;
    for (;;) {
        const char *hole = strstr(f, "{TYPE}");
        if (hole == NULL) return pii_buf_append_str(out, f);
        if (pii_buf_append(out, f, (size_t)(hole - f)) != 0) return -1;
        if (pii_buf_append_str(out, type_name) != 0) return -1;
        f = hole + 6;
    }
}

/* Masks letters and digits of text[a, b), keeping the last `keep` of them. */
static int append_masked(const char *text, size_t a, size_t b, size_t keep, pii_buf *out) {
    size_t alnum = 0;
    for (size_t k = a; k < b; k++) alnum += pii_is_alnum((unsigned char)text[k]);
    size_t masked = alnum > keep ? alnum - keep : 0;
    if (pii_buf_reserve(out, b - a) != 0) return -1;
    for (size_t k = a; k < b; k++) {
        char c = text[k];
        if (pii_is_alnum((unsigned char)c) && masked > 0) {
            c = '*';
            masked--;
        }
        out->data[out->len++] = c;
    }
    out->data[out->len] = '\0';
    return 0;
}

int pii_redact_one(const pii_redaction *r, const pii_config *cfg, const char *text, const pii_match *m,
                   pii_buf *out) {
    int continuation = (m->flags & PII_MATCH_CONTINUATION) != 0;
    if (m->type < PII_TYPE_SLOTS && r->marker[m->type] != NULL) {
        return continuation ? 0 : pii_buf_append_str(out, r->marker[m->type]);
    }
    switch (r->style) {
    case PII_STYLE_ASTERISK:
        return continuation ? 0 : pii_buf_append_str(out, "****");
    case PII_STYLE_PARTIAL: {
        size_t alnum = 0;
        for (size_t k = m->start; k < m->end; k++) alnum += pii_is_alnum((unsigned char)text[k]);
        /* Short values and key blocks are masked fully: four characters would reveal too much of them. */
        size_t keep = (alnum >= 8 && m->type != PII_PRIVATE_KEY && !continuation) ? 4 : 0;
        return append_masked(text, m->start, m->end, keep, out);
    }
    case PII_STYLE_PRESERVE_LENGTH:
        return append_masked(text, m->start, m->end, 0, out);
    default:
        return continuation ? 0 : append_label(r, pii_type_name(cfg, m->type), out);
    }
}

int pii_redact_append(const pii_redaction *r, const pii_config *cfg, const char *text, size_t len,
                      const pii_match *m, size_t n, pii_buf *out) {
    size_t at = 0;
    for (size_t k = 0; k < n; k++) {
        if (m[k].start < at || m[k].end > len) continue; /* defensive: never emit bytes twice */
        if (pii_buf_append(out, text + at, m[k].start - at) != 0) return -1;
        if (pii_redact_one(r, cfg, text, &m[k], out) != 0) return -1;
        at = m[k].end;
    }
    return pii_buf_append(out, text + at, len - at);
}
