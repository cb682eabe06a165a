/*
 * pii_pattern.c: operator-defined patterns (config detect_patterns). A deliberately small syntax instead of
 * regular expressions: one element per character, so matching is linear, cannot backtrack and its longest
 * match is known (which the stream hold-back needs).
 *   #  a digit   @  an upper-case letter   ?  a letter or digit   \x  x literally   other: itself
 */
#include <stdio.h>
#include <string.h>

#include "pii_internal.h"

int pii_pattern_compile(pii_pattern *out, const char *name, size_t name_len, const char *pattern,
                        size_t pattern_len, char *err, size_t err_cap) {
    memset(out, 0, sizeof *out);
    if (name_len == 0 || name_len > PII_NAME_MAX) {
        snprintf(err, err_cap, "name must be 1..%u characters", PII_NAME_MAX);
        return -1;
    }
    for (size_t k = 0; k < name_len; k++) {
        unsigned char c = (unsigned char)name[k];
        if (!pii_is_upper(c) && !pii_is_digit(c) && c != '_') {
            snprintf(err, err_cap, "name must use only A-Z, 0-9 and _ (it becomes a tag key and a label)");
            return -1;
        }
    }
    memcpy(out->name, name, name_len);
    out->name[name_len] = '\0';
    size_t n = 0;
    for (size_t k = 0; k < pattern_len; k++) {
        unsigned char c = (unsigned char)pattern[k];
        if (c < 0x20 || c > 0x7e) {
            snprintf(err, err_cap, "pattern may only contain printable ASCII characters (byte %zu is not)", k);
            return -1;
        }
        if (n == PII_PATTERN_MAX) {
            snprintf(err, err_cap, "pattern is longer than %u elements", PII_PATTERN_MAX);
            return -1;
        }
        uint8_t kind = PII_PAT_LITERAL;
        if (c == '\\') {
            if (k + 1 >= pattern_len) {
                snprintf(err, err_cap, "pattern ends with a lone '\\' (write \\\\ for a backslash)");
                return -1;
            }
            c = (unsigned char)pattern[++k];
        } else if (c == '#') {
            kind = PII_PAT_DIGIT;
        } else if (c == '@') {
            kind = PII_PAT_UPPER;
        } else if (c == '?') {
            kind = PII_PAT_ALNUM;
        }
        out->kind[n] = kind;
        out->lit[n] = kind == PII_PAT_LITERAL ? c : 0;
        n++;
    }
    if (n < 3) {
        snprintf(err, err_cap, "pattern must have at least 3 elements");
        return -1;
    }
    size_t wild = 0;
    for (size_t k = 0; k < n; k++) wild += out->kind[k] != PII_PAT_LITERAL;
    if (wild == n && n < 6) {
        snprintf(err, err_cap, "a pattern made only of wildcards needs at least 6 of them (it would match ordinary "
                               "numbers and words)");
        return -1;
    }
    out->len = n;
    return 0;
}

static int element_ok(const pii_pattern *p, size_t k, unsigned char c) {
    switch (p->kind[k]) {
    case PII_PAT_DIGIT: return pii_is_digit(c);
    case PII_PAT_UPPER: return pii_is_upper(c);
    case PII_PAT_ALNUM: return pii_is_alnum(c);
    default: return p->lit[k] == c;
    }
}

static int element_is_wordish(const pii_pattern *p, size_t k) {
    return p->kind[k] != PII_PAT_LITERAL || pii_is_word(p->lit[k]);
}

static int start_ok(const pii_pattern *p, const char *t, size_t i) {
    return !element_is_wordish(p, 0) || pii_word_start(t, i);
}

size_t pii_pattern_match(const pii_pattern *p, const char *t, size_t len, size_t i) {
    if (i + p->len > len || !start_ok(p, t, i)) return 0;
    for (size_t k = 0; k < p->len; k++) {
        if (!element_ok(p, k, (unsigned char)t[i + k])) return 0;
    }
    size_t end = i + p->len;
    if (element_is_wordish(p, p->len - 1) && !pii_word_end(t, len, end)) return 0;
    return end;
}

int pii_pattern_prefix(const pii_pattern *p, const char *t, size_t len, size_t i) {
    size_t m = len - i;
    if (m >= p->len || !start_ok(p, t, i)) return 0;
    for (size_t k = 0; k < m; k++) {
        if (!element_ok(p, k, (unsigned char)t[i + k])) return 0;
    }
    return 1;
}

void pii_scan_patterns(const pii_scan_ctx *s, size_t i, pii_cands *out) {
    const pii_config *cfg = s->cfg;
    for (size_t k = 0; k < cfg->pattern_count; k++) {
        size_t end = pii_pattern_match(&cfg->patterns[k], s->t, s->len, i);
        if (end != 0) pii_cands_add(out, i, end, PII_TYPE_CUSTOM_BASE + (uint32_t)k, 0);
    }
}
