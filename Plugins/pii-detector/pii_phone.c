/*
 * pii_phone.c: PHONE_NUMBER.
 *
 * Shape: an optional '+', then 2..12 digit groups ("415", "(0)", "(415)") joined by single ' ', '-', '.',
 * '/' (or nothing after a parenthesised group), 7..15 digits in total, an optional extension ("x123",
 * " ext. 123"), word boundaries on both sides.
 *
 * Strong formats count on their own:
 *   - international: '+' and at least 8 digits (E.164), or an "00" prefix and at least 10 digits;
 *   - North American: [1 | 001] (NXX) NXX-XXXX, NXX-NXX-XXXX, NXX.NXX.XXXX (N = 2..9);
 *   - national with a trunk '0' (UK 020 7123 4567, DE 030 1234567, FR 01 23 45 67 89, JP 090-1234-5678):
 *     first group starts with 0 and a non-zero digit, at least two groups, 9..12 digits.
 * Everything else (e.g. "78 651 450", a bare "5403926876") needs a phone word in the 48 bytes before it
 * ("phone", "call", "fax", ...) or a label right after it ("office", "mobile"). A negative word nearer than
 * the positive one ("order", "invoice", "account", ...) vetoes a match, and date shapes
 * (2023-01-15, 15.01.2023) are never phone numbers.
 */
#include "pii_internal.h"

#define MAX_GROUPS 12

typedef struct phone_shape {
    size_t gstart[MAX_GROUPS]; /* first digit of the group */
    size_t glen[MAX_GROUPS];   /* digits in the group */
    int paren[MAX_GROUPS];
    char sep[MAX_GROUPS]; /* separator before group k (0: none) */
    int ng;
    int plus;
    size_t digits;
} phone_shape;

static unsigned group_value(const char *t, const phone_shape *ps, int k) {
    unsigned v = 0;
    for (size_t q = 0; q < ps->glen[k] && q < 9; q++) v = v * 10 + (unsigned)(t[ps->gstart[k] + q] - '0');
    return v;
}

static int is_date_shape(const char *t, const phone_shape *ps) {
    if (ps->ng != 3 || ps->plus || ps->paren[0] || ps->paren[1] || ps->paren[2]) return 0;
    if (ps->sep[1] != ps->sep[2] || ps->sep[1] == ' ') return 0;
    unsigned a = group_value(t, ps, 0), b = group_value(t, ps, 1), c = group_value(t, ps, 2);
    if (ps->glen[0] == 4 && ps->glen[1] <= 2 && ps->glen[2] <= 2) {
        return a >= 1900 && a <= 2099 && b >= 1 && b <= 12 && c >= 1 && c <= 31;
    }
    if (ps->glen[0] <= 2 && ps->glen[1] <= 2 && ps->glen[2] == 4) {
        int dm = a >= 1 && a <= 31 && b >= 1 && b <= 12;
        int md = a >= 1 && a <= 12 && b >= 1 && b <= 31;
        return (dm || md) && c >= 1900 && c <= 2099;
    }
    return 0;
}

/* [1 | 001] (NXX) NXX-XXXX / NXX-NXX-XXXX / NXX.NXX.XXXX */
static int is_nanp(const char *t, const phone_shape *ps) {
    int k = 0;
    if (ps->ng == 4 && !ps->paren[0] &&
        ((ps->glen[0] == 1 && t[ps->gstart[0]] == '1') ||
         (ps->glen[0] == 3 && group_value(t, ps, 0) == 1 && t[ps->gstart[0]] == '0'))) {
        k = 1;
    }
    if (ps->ng - k != 3) return 0;
    if (ps->glen[k] != 3 || ps->glen[k + 1] != 3 || ps->glen[k + 2] != 4) return 0;
    if (ps->paren[k + 1] || ps->paren[k + 2]) return 0;
    char area0 = t[ps->gstart[k]], exch0 = t[ps->gstart[k + 1]];
    if (area0 < '2' || exch0 < '2') return 0;
    char s1 = ps->sep[k + 1], s2 = ps->sep[k + 2];
    if (ps->paren[k]) return (s1 == 0 || s1 == ' ' || s1 == '-') && (s2 == '-' || s2 == '.' || s2 == ' ');
    return (s1 == '-' || s1 == '.') && s2 == s1;
}

static int is_trunk_national(const char *t, const phone_shape *ps) {
    if (ps->plus || ps->digits < 9 || ps->digits > 12) return 0;
    /* written without separators only with the usual 10-11 digits ("0612345678", "07700900123") */
    if (ps->ng == 1 && (ps->paren[0] || ps->digits < 10 || ps->digits > 11)) return 0;
    if (ps->glen[0] < 2) return 0;
    const char *g = t + ps->gstart[0];
    return g[0] == '0' && g[1] != '0';
}

static int is_international_00(const char *t, const phone_shape *ps) {
    if (ps->plus || ps->ng < 2 || ps->digits < 10) return 0;
    const char *g = t + ps->gstart[0];
    if (ps->glen[0] >= 3) return g[0] == '0' && g[1] == '0' && g[2] != '0'; /* country codes never start with 0 */
    return ps->glen[0] == 2 && g[0] == '0' && g[1] == '0' && t[ps->gstart[1]] != '0';
}

/* Parses the digit groups from i; returns the end offset (after the last group) or 0. */
static size_t parse_groups(const char *t, size_t len, size_t i, phone_shape *ps) {
    size_t p = i;
    ps->ng = 0;
    ps->plus = 0;
    ps->digits = 0;
    if (t[p] == '+') {
        ps->plus = 1;
        p++;
        if (p >= len || !pii_is_digit((unsigned char)t[p])) return 0;
    }
    char sep = 0;
    for (;;) {
        if (ps->ng == MAX_GROUPS) return 0;
        size_t q = p;
        int par = 0;
        if (q < len && t[q] == '(') {
            q++;
            size_t d0 = q;
            while (q < len && q - d0 < 6 && pii_is_digit((unsigned char)t[q])) q++;
            if (q == d0 || q >= len || t[q] != ')') break;
            par = 1;
            ps->gstart[ps->ng] = d0;
            ps->glen[ps->ng] = q - d0;
            q++;
        } else if (q < len && pii_is_digit((unsigned char)t[q])) {
            while (q < len && pii_is_digit((unsigned char)t[q])) q++;
            ps->gstart[ps->ng] = p;
            ps->glen[ps->ng] = q - p;
        } else {
            break;
        }
        ps->paren[ps->ng] = par;
        ps->sep[ps->ng] = sep;
        ps->digits += ps->glen[ps->ng];
        ps->ng++;
        if (ps->digits > 15) return 0; /* too long for a phone number: an id, a card, an account */
        p = q;
        if (q + 1 < len && (t[q] == ' ' || t[q] == '-' || t[q] == '.' || t[q] == '/') &&
            (pii_is_digit((unsigned char)t[q + 1]) || t[q + 1] == '(')) {
            sep = t[q];
            p = q + 1;
            continue;
        }
        if (par && q < len && pii_is_digit((unsigned char)t[q])) { /* "(0)8", "(415)555" */
            sep = 0;
            continue;
        }
        if (!par && q < len && t[q] == '(') { /* "+44(0)20" */
            sep = 0;
            continue;
        }
        break;
    }
    if (ps->ng == 0) return 0;
    /* p may sit after a separator whose next group failed to parse ("(12" unterminated): step back. */
    size_t last = ps->gstart[ps->ng - 1] + ps->glen[ps->ng - 1];
    if (ps->paren[ps->ng - 1]) last++;
    return last;
}

/* "x123", "X123", " ext 123", " ext. 123", " x 123". Returns the new end. */
static size_t parse_extension(const char *t, size_t len, size_t end) {
    size_t p = end;
    if (p + 1 < len && (t[p] == 'x' || t[p] == 'X') && pii_is_digit((unsigned char)t[p + 1])) {
        p++;
    } else if (pii_has_prefix_ci(t, len, p, " ext")) {
        p += 4;
        if (p < len && t[p] == '.') p++;
        if (p < len && t[p] == ' ') p++;
    } else if (pii_has_prefix_ci(t, len, p, " x ")) {
        p += 3;
    } else {
        return end;
    }
    size_t d0 = p;
    while (p < len && p - d0 < 6 && pii_is_digit((unsigned char)t[p])) p++;
    if (p == d0 || p - d0 > 5) return end;
    return p;
}

/* The number may end at e: a word boundary, not followed by more of a longer number, a time or an '@'. */
static int phone_end_ok(const char *t, size_t len, size_t e) {
    if (!pii_word_end(t, len, e)) return 0;
    if (e + 1 < len && (t[e] == '.' || t[e] == ',' || t[e] == '-' || t[e] == '/' || t[e] == ':') &&
        pii_is_digit((unsigned char)t[e + 1])) {
        return 0;
    }
    return !(e < len && t[e] == '@');
}

void pii_scan_phone(const pii_scan_ctx *s, size_t i, pii_cands *out) {
    const char *t = s->t;
    size_t len = s->len;
    if (pii_is_digit((unsigned char)t[i]) && !pii_chain_start(t, i)) return;
    phone_shape ps;
    size_t end = parse_groups(t, len, i, &ps);
    if (end == 0 || ps.digits < 7) return;
    size_t full = parse_extension(t, len, end);
    if (full != end && !phone_end_ok(t, len, full)) full = end; /* "ext. 12abc" is no extension */
    if (!phone_end_ok(t, len, full)) return;
    if (is_date_shape(t, &ps)) return;
    if (ps.ng == 2 && ps.sep[1] == '.' && !ps.plus && !ps.paren[0] && !ps.paren[1]) return; /* a decimal: 48.144986 */
    /* The SSN shape AAA-GG-SSSS is a phone number only with a phone word before it. */
    int ssn_shape = ps.ng == 3 && !ps.plus && !ps.paren[0] && ps.glen[0] == 3 && ps.glen[1] == 2 && ps.glen[2] == 4 &&
                    ps.sep[1] == '-' && ps.sep[2] == '-' && full == end;

    /* A label right after the number ("416 60 039 office", "082 490 1693-Office") is the most specific
     * context there is: it outweighs any word before it. */
    if (pii_context_after(t, len, full, 16, pii_ctx_phone_after)) {
        pii_cands_add(out, i, full, PII_PHONE_NUMBER, 0);
        return;
    }
    pii_context_hit pos = pii_context_before(t, i, 48, pii_ctx_phone);
    pii_context_hit neg = pii_context_before(t, i, 48, pii_ctx_not_phone);
    int vetoed = neg.found && (!pos.found || neg.distance < pos.distance);
    int strong = (ps.plus && ps.digits >= 8) || is_international_00(t, &ps) || is_nanp(t, &ps) ||
                 is_trunk_national(t, &ps);
    if (vetoed && !ps.plus) return;
    if (ssn_shape) strong = 0;
    int ok = strong || pos.found;
    if (!ok && !neg.found) ok = pii_context_before(t, i, 48, pii_ctx_phone_weak).found;
    if (ok) pii_cands_add(out, i, full, PII_PHONE_NUMBER, 0);
}
