/*
 * pii_hold.c: how much trailing text a stream must hold back.
 *
 * Text arrives in small deltas; an entity may be cut in two ("4111 1111" | " 1111 1111"). Releasing text is
 * safe only where no entity can start and still continue into the next delta. The hold starts at the
 * earliest of:
 *   1. the last token: the trailing run of bytes that can occur inside an entity (letters, digits and
 *      . _ % + - @ : / = ( ), plus the literal characters of custom patterns). Nothing is held when the text
 *      ends in whitespace or punctuation that no entity contains (, ; ! ? " ' ...).
 *   2. a chain of space-separated groups that could still grow into a spaced entity: digit groups (phone,
 *      card, SSN; at most 19 digits, optionally ending in the start of a label like "off[ice]") or an IBAN
 *      prefix (registered country, check digits, BBAN structure so far). A single trailing space after such
 *      a chain keeps it held, since the next group may follow.
 *   3. an unterminated "-----BEGIN ... PRIVATE KEY-----" block (or a header that may still become one).
 *   4. a custom pattern that has matched a prefix (or all) of itself up to the end of the text.
 * Plain prose therefore goes out at once up to its last word; a number or key goes out as soon as the
 * text after it shows it is complete.
 */
#include <string.h>

#include "pii_internal.h"

static int is_group_char(unsigned char c) {
    return pii_is_alnum(c) || c == '(' || c == ')' || c == '+' || c == '.' || c == '-';
}

static int is_entity_byte(const pii_config *cfg, unsigned char c) {
    if (pii_is_alnum(c)) return 1;
    switch (c) {
    case '.': case '_': case '%': case '+': case '-': case '@': case ':': case '/': case '=': case '(': case ')':
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
                                         "landline", "direct", NULL};
    for (int k = 0; labels[k] != NULL; k++) {
        size_t m = strlen(labels[k]);
        if (n > m) continue;
        size_t q = 0;
        while (q < n && pii_lower((unsigned char)t[a + q]) == (unsigned char)labels[k][q]) q++;
        if (q == n) return 1;
    }
    return 0;
}

/* Could t[a, e) (groups joined by single spaces, maybe one trailing space) still grow into a phone, card or
 * SSN? `at_end` says whether e is the end of the text (a label word can only be growing there). */
static int numeric_chain_viable(const char *t, size_t a, size_t e, int at_end) {
    unsigned char c0 = (unsigned char)t[a];
    if (!pii_is_digit(c0) && c0 != '+' && c0 != '(') return 0;
    size_t digits = 0, groups = 1, q = a;
    for (; q < e; q++) {
        unsigned char c = (unsigned char)t[q];
        if (pii_is_digit(c)) {
            digits++;
        } else if (c == ' ') {
            groups++;
        } else if (c == '(' || c == ')' || c == '+' || c == '.' || c == '-') {
            /* separators */
        } else if (pii_is_alpha(c)) {
            break; /* maybe the start of a label */
        } else {
            return 0;
        }
    }
    if (q < e) {
        size_t w = q;
        while (w < e && pii_is_alpha((unsigned char)t[w])) w++;
        if (w != e || !at_end || !is_label_prefix(t, q, e - q)) return 0;
    }
    return digits > 0 && digits <= 19 && groups <= 12;
}

static int iban_chain_viable(const char *t, size_t a, size_t e) {
    char s[40];
    size_t n = 0;
    for (size_t q = a; q < e; q++) {
        unsigned char c = (unsigned char)t[q];
        if (pii_is_alnum(c)) {
            if (n == sizeof s) return 0;
            s[n++] = (char)c;
        } else if (c != ' ' && c != '-' && c != '.') {
            return 0;
        }
    }
    return pii_iban_prefix_viable(s, n);
}

static int chain_viable(const char *t, size_t a, size_t e, int at_end) {
    return numeric_chain_viable(t, a, e, at_end) || iban_chain_viable(t, a, e);
}

/* Start of the maximal run of group characters ending at e (exclusive), not before `from`. */
static size_t group_start(const char *t, size_t from, size_t e) {
    size_t g = e;
    while (g > from && is_group_char((unsigned char)t[g - 1])) g--;
    return g;
}

static size_t chain_hold(const char *t, size_t len, size_t from) {
    size_t e = len;
    if (len >= from + 2 && t[len - 1] == ' ' && is_group_char((unsigned char)t[len - 2])) e = len - 1;
    size_t g = group_start(t, from, e);
    if (g == e || !chain_viable(t, g, len, 1)) return len;
    size_t start = g;
    /* Earlier groups join when a single space separates them ("Phone:(415) 555" holds "(415) 555"). */
    while (start >= from + 2 && t[start - 1] == ' ' && is_group_char((unsigned char)t[start - 2])) {
        size_t pg = group_start(t, from, start - 1);
        if (!chain_viable(t, pg, len, 1)) break;
        start = pg;
    }
    return start;
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
    size_t hold = len;
    size_t p = len;
    while (p > from && is_entity_byte(cfg, (unsigned char)t[p - 1])) p--;
    hold = p;
    size_t c = chain_hold(t, len, from);
    if (c < hold) hold = c;
    if (cfg->types & PII_TYPE_BIT(PII_PRIVATE_KEY)) {
        size_t k = private_key_hold(t, len, from);
        if (k < hold) hold = k;
    }
    if (cfg->pattern_count > 0) {
        size_t k = pattern_hold(cfg, t, len, from);
        if (k < hold) hold = k;
    }
    return hold;
}
