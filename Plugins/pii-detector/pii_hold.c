/*
 * pii_hold.c: how much trailing text a stream must hold back.
 *
 * Text arrives in small deltas; an entity may be cut in two ("4111 1111" | " 1111 1111"). Releasing text is
 * safe only where no entity can start and still continue into the next delta. The hold starts at the
 * earliest of:
 *   1. the last token: the trailing run of bytes that can occur inside an entity (ASCII letters and digits,
 *      . _ % + - @ : / = ( ) ', accented Latin letters, and the literal characters of custom patterns).
 *      Nothing is held when the text ends in whitespace or punctuation no entity contains (, ; ! ? " ...).
 *   2. a trailing digit chain that may still grow into a phone number, card or SSN, or still get the label
 *      that makes it a phone number: groups of [0-9()+.-/x] joined by single spaces or an extension marker
 *      (" ext. ", " x "), at most 19 digits, starting where a number can start; optionally followed by the
 *      bytes between a number and its label (" ", ", ", "-", "(") and the start of a label word ("off" of
 *      "office"), or by a complete extension marker the digits may still follow ("ext. ").
 *   3. a trailing run of letter/digit groups that is still a prefix of a valid IBAN (registered country,
 *      check digits, BBAN structure so far, below the country's length).
 *   4. an unterminated "-----BEGIN ... PRIVATE KEY-----" block (or a header that may still become one).
 *   5. a custom pattern that has matched a prefix (or all) of itself up to the end of the text;
 *   6. any candidate a scanner reports (also one that loses an overlap now) that reaches past the hold
 *      point or to the end of the text.
 * Plain prose therefore goes out at once up to its last word; a number or key goes out as soon as the
 * text after it shows it is complete.
 */
#include <string.h>

#include "pii_internal.h"

static int is_entity_byte(const pii_config *cfg, unsigned char c) {
    if (pii_is_alnum(c)) return 1;
    if ((c >= 0xC3 && c <= 0xC9) || (c >= 0x80 && c <= 0xBF)) return 1; /* Latin-1 Supplement .. Latin Extended-B */
    switch (c) {
    case '.': case '_': case '%': case '+': case '-': case '@': case ':': case '/': case '=': case '(': case ')':
    case '\'':
        return 1;
    default:
        break;
    }
    for (size_t k = 0; k < cfg->pattern_count; k++) {
        const pii_pattern *p = &cfg->patterns[k];
        for (size_t e = 0; e < p->len; e++) {
            if (p->kind[e] == PII_PAT_LITERAL && p->lit[e] == c && c != ' ') return 1;
        }
    }
    return 0;
}

/* Words that may follow a phone number as its label (see pii_ctx_phone_after); a chain ending in a
 * prefix of one of them may still turn out to be a labelled phone number. */
static int is_label_prefix(const char *t, size_t a, size_t n) {
    static const char *const labels[] = {"office", "fax", "mobile", "cell", "home", "work", "phone", "tel",
                                         "landline", "direct", "ext", "x", NULL};
    for (int k = 0; labels[k] != NULL; k++) {
        size_t m = strlen(labels[k]);
        if (n > m) continue;
        size_t q = 0;
        while (q < n && pii_lower((unsigned char)t[a + q]) == (unsigned char)labels[k][q]) q++;
        if (q == n) return 1;
    }
    return 0;
}

/* Inside a digit chain: digits, separators, and the 'x' of an extension ("555-0132x12"). */
static int is_number_char(unsigned char c) {
    return pii_is_digit(c) || c == '(' || c == ')' || c == '+' || c == '.' || c == '-' || c == '/' || c == 'x' ||
           c == 'X';
}

/* Bytes pii_context_after skips between a number and its label. */
static int is_label_gap(unsigned char c) {
    return c == ' ' || c == '\t' || c == '-' || c == '(' || c == '\\' || c == ',' || c == '/';
}

/* A trailing digit chain that may still grow into a phone, card or SSN, or get its label: groups of
 * [0-9()+.-] joined by single spaces (at most 19 digits, 12 groups), optionally followed by label gap
 * bytes and the beginning of a label word. Returns where to hold from, or len. */
static size_t numeric_hold(const char *t, size_t len, size_t from) {
    size_t e = len;
    /* A label or extension word at the end: a label still being written ("off" of "office"), or a complete
     * extension marker the digits may still follow ("ext. ", "x "). */
    size_t e0 = e;
    while (e0 > from && t[e0 - 1] == ' ') e0--;
    size_t w = e0;
    if (w > from && t[w - 1] == '.') w--;
    size_t w2 = w;
    while (w2 > from && pii_is_alpha((unsigned char)t[w2 - 1])) w2--;
    if (w2 < w) {
        int ext = (w - w2 == 3 && pii_has_prefix_ci(t, w, w2, "ext")) || (w - w2 == 1 && (t[w2] | 0x20) == 'x');
        if (e0 < e ? !ext : !is_label_prefix(t, w2, w - w2)) return len;
        e = w2;
    }
    while (e > from && is_label_gap((unsigned char)t[e - 1])) e--;
    /* Walk back over the groups. In each run of number characters, the chain may begin at the earliest
     * position where a number can start (a digit, '+' or '(' after a non-word byte: "office(192" starts at
     * "192", "v1.2" and "abc123" start none) that keeps the chain within 19 digits. */
    size_t start = len, digits = 0, groups = 0, q = e;
    while (groups < 12) {
        size_t g = q;
        while (g > from && q - g < 64 && is_number_char((unsigned char)t[g - 1])) g--;
        size_t best = q, best_digits = 0;
        for (size_t p = g; p < q; p++) {
            unsigned char ch = (unsigned char)t[p];
            if (!(pii_is_digit(ch) || ch == '+' || ch == '(')) continue;
            if (p > 0 && pii_is_word((unsigned char)t[p - 1])) continue;
            size_t d = 0;
            for (size_t k = p; k < q; k++) d += pii_is_digit((unsigned char)t[k]);
            if (d > 0 && digits + d <= 19) {
                best = p;
                best_digits = d;
                break;
            }
        }
        if (best == q) break;
        digits += best_digits;
        groups++;
        start = best;
        if (best == g && g >= from + 2 && t[g - 1] == ' ') {
            /* an extension: "555-0132 ext. 12", "555-0132 x 12" */
            size_t k = g - 1;
            if (k > from && t[k - 1] == '.') k--;
            size_t w = k;
            while (w > from && pii_is_alpha((unsigned char)t[w - 1])) w--;
            int ext = (k - w == 3 && pii_has_prefix_ci(t, k, w, "ext")) || (k - w == 1 && (t[w] | 0x20) == 'x');
            if (ext && w >= from + 2 && t[w - 1] == ' ' && is_number_char((unsigned char)t[w - 2])) {
                q = w - 1;
                continue;
            }
            if (is_number_char((unsigned char)t[g - 2])) {
                q = g - 1;
                continue;
            }
        }
        break;
    }
    return start;
}

/* A trailing run of letter/digit groups (single ' ', '-', '.' between them) that is still a prefix of a
 * valid IBAN. Returns where to hold from, or len. */
static size_t iban_hold(const char *t, size_t len, size_t from) {
    size_t e = len;
    if (e > from && (t[e - 1] == ' ' || t[e - 1] == '-' || t[e - 1] == '.')) e--;
    size_t best = len, a = e;
    char s[40];
    while (a > from) {
        unsigned char c = (unsigned char)t[a - 1];
        if (pii_is_alnum(c)) {
            a--;
        } else if ((c == ' ' || c == '-' || c == '.') && a - 1 > from && pii_is_alnum((unsigned char)t[a - 2]) &&
                   a < e && pii_is_alnum((unsigned char)t[a])) {
            a--;
        } else {
            break;
        }
        if (e - a > 50) break;
        /* a candidate start: a letter at a word start */
        if (pii_is_alpha((unsigned char)t[a]) && (a == 0 || !pii_is_alnum((unsigned char)t[a - 1]))) {
            size_t n = 0;
            int ok = 1;
            for (size_t k = a; k < e && ok; k++) {
                if (pii_is_alnum((unsigned char)t[k])) {
                    if (n == sizeof s) ok = 0;
                    else s[n++] = t[k];
                }
            }
            if (ok && pii_iban_prefix_viable(s, n)) best = a;
        }
    }
    return best;
}

/* 0: not a private key header; 1: a complete private key header; 2: could still become one. */
static int private_key_header(const char *t, size_t len, size_t b) {
    size_t p = b + 10;
    while (p < len && p - b < 120) {
        if (pii_has_prefix(t, len, p, "PRIVATE KEY")) return 1;
        unsigned char c = (unsigned char)t[p];
        if (c == '\n') return 0;
        if (pii_has_prefix(t, len, p, "-----")) return 0; /* another kind of block (CERTIFICATE, PUBLIC KEY) */
        p++;
    }
    return p >= len ? 2 : 0;
}

static int has_end_marker(const char *t, size_t len, size_t from) {
    for (size_t q = from; q + 8 <= len; q++) {
        if (t[q] != '-' || !pii_has_prefix(t, len, q, "-----END")) continue;
        for (size_t r = q + 8; r + 8 <= len && t[r] != '\n'; r++) {
            if (pii_has_prefix(t, len, r, "KEY-----")) return 1;
        }
    }
    return 0;
}

static size_t private_key_hold(const char *t, size_t len, size_t from) {
    for (size_t b = len; b-- > from;) {
        if (t[b] != '-' || !pii_has_prefix(t, len, b, "-----BEGIN")) continue;
        if (b > 0 && t[b - 1] == '-') continue;
        int h = private_key_header(t, len, b);
        if (h == 2 || (h == 1 && !has_end_marker(t, len, b))) return b;
        return len; /* the latest block is complete or not a private key */
    }
    return len;
}

static size_t pattern_hold(const pii_config *cfg, const char *t, size_t len, size_t from) {
    size_t hold = len;
    for (size_t k = 0; k < cfg->pattern_count; k++) {
        const pii_pattern *p = &cfg->patterns[k];
        size_t lo = len > p->len ? len - p->len : 0;
        if (lo < from) lo = from;
        for (size_t s = lo; s < hold; s++) {
            if (pii_pattern_prefix(p, t, len, s) || pii_pattern_match(p, t, len, s) == len) {
                hold = s;
                break;
            }
        }
    }
    return hold;
}

size_t pii_hold_start(const pii_config *cfg, const char *t, size_t len, size_t from) {
    if (len <= from) return len;
    size_t p = len;
    while (p > from && is_entity_byte(cfg, (unsigned char)t[p - 1])) p--;
    /* Accented Latin letters may be part of an e-mail's local part ("jürgen@"); other scripts are not held,
     * so a stream without spaces (Chinese, Japanese) is still released as it comes. Never split a character. */
    while (p < len && ((unsigned char)t[p] & 0xC0) == 0x80) p++;
    size_t hold = p;
    size_t c = numeric_hold(t, len, from);
    if (c < hold) hold = c;
    c = iban_hold(t, len, from);
    if (c < hold) hold = c;
    if (cfg->types & PII_TYPE_BIT(PII_PRIVATE_KEY)) {
        size_t k = private_key_hold(t, len, from);
        if (k < hold) hold = k;
    }
    if (cfg->pattern_count > 0) {
        size_t k = pattern_hold(cfg, t, len, from);
        if (k < hold) hold = k;
    }
    /* Every candidate a scanner reports, including one that loses to an overlapping candidate right now,
     * that reaches into the held text or to the end may still change with the next delta (the winner may
     * stop being valid, "1::" + "68123" is no IPv6 address): hold from its start. */
    pii_cands cands;
    pii_cands_init(&cands);
    pii_collect(cfg, t, len, from, &cands);
    if (cands.oom) hold = from; /* hold everything: safe, and the caller's own scan fails the same way */
    for (int moved = 1; moved;) {
        moved = 0;
        for (size_t k = 0; k < cands.n; k++) {
            size_t st = cands.v[k].start < from ? from : cands.v[k].start;
            if (st < hold && (cands.v[k].end > hold || cands.v[k].end == len)) {
                hold = st;
                moved = 1;
            }
        }
    }
    pii_cands_free(&cands);
    return hold;
}
