/*
 * pii_finance.c: CREDIT_CARD, IBAN_CODE and US_SSN. All three carry a checksum or a validity rule, so the
 * scanners accept a shape only when the number also validates: Luhn plus issuer prefix and length for
 * cards, registry length + BBAN structure + mod-97 (+ national check digits for ES/BE/NO) for IBANs, SSA
 * ranges for SSNs.
 */
#include <string.h>

#include "pii_internal.h"

/* ------------------------------------------------------------------------------------------------ cards */

int pii_luhn_valid(const char *d, size_t n) {
    unsigned sum = 0;
    int dbl = 0;
    for (size_t k = n; k-- > 0;) {
        unsigned v = (unsigned)(d[k] - '0');
        if (dbl) {
            v *= 2;
            if (v > 9) v -= 9;
        }
        sum += v;
        dbl = !dbl;
    }
    return n > 0 && sum % 10 == 0;
}

/* Issuer prefix (IIN) and length rules of the card schemes in use. Returns 0 (no card), 1 (a card) or 2 (a
 * card only with a card word nearby: 12-15 digit numbers in the Maestro ranges, which collide with other
 * identifiers). */
static int card_iin(const char *d, size_t n) {
    unsigned p2 = (unsigned)(d[0] - '0') * 10 + (unsigned)(d[1] - '0');
    unsigned p3 = p2 * 10 + (unsigned)(d[2] - '0');
    unsigned p4 = p3 * 10 + (unsigned)(d[3] - '0');
    switch (d[0]) {
    case '1': return n == 15; /* UATP, old 15-digit JCB 1800 */
    case '2':
        if (p4 == 2131) return n == 15;                        /* JCB */
        if (p4 >= 2200 && p4 <= 2204) return n >= 16 && n <= 19; /* Mir */
        if (p4 >= 2221 && p4 <= 2720) return n == 16;         /* Mastercard 2-series */
        return 0;
    case '3':
        if (p2 == 34 || p2 == 37) return n == 15; /* Amex */
        if ((p3 >= 300 && p3 <= 305) || p3 == 309 || p2 == 36 || p2 == 38 || p2 == 39) {
            return n >= 14 && n <= 19; /* Diners */
        }
        /* JCB issues from 3528-3589; the rest of the 35 block is accepted too (16-19 digits + Luhn is already
         * specific, and an unredacted card costs more than a redacted look-alike). */
        if (p2 == 35) return n >= 16 && n <= 19;
        return 0;
    case '4': return n == 13 || n == 16 || n == 19; /* Visa */
    case '5':
        if (p2 >= 51 && p2 <= 55) return n == 16; /* Mastercard */
        if (n >= 16 && n <= 19) return 1;         /* Maestro, Dankort, Verve */
        return n >= 12 ? 2 : 0;
    case '6':
        if (n >= 16 && n <= 19) return 1; /* Discover, UnionPay, Maestro, RuPay */
        return n >= 12 ? 2 : 0;
    case '8': return (p2 == 81 || p2 == 82) && n >= 16 && n <= 19; /* UnionPay, RuPay */
    case '9': return p4 == 9792 && n == 16;                        /* Troy */
    default: return 0;
    }
}

/* Digit groups: either one run of 12-19 digits, or groups joined by one consistent separator (' ' or '-')
 * whose first group has 4 digits ("4111 1111 1111 1111", "3714 496353 98431"). When the groups run on
 * (a CVV or a date after the number), shorter prefixes of whole groups are tried. */
void pii_scan_card(const pii_scan_ctx *s, size_t i, pii_cands *out) {
    const char *t = s->t;
    size_t len = s->len;
    if (!pii_number_start(t, i)) return;
    size_t gend[8];
    size_t gdig[8];
    int ng = 0;
    char sep = 0;
    size_t p = i, digits = 0;
    char d[24];
    while (ng < 8) {
        size_t q = p;
        while (q < len && pii_is_digit((unsigned char)t[q])) q++;
        size_t run = q - p;
        if (ng == 0 && run > 19) return;
        if (ng > 0 && (run < 2 || run > 7)) break;
        if (digits + run > 19) break;
        for (size_t k = 0; k < run; k++) d[digits + k] = t[p + k];
        digits += run;
        gend[ng] = q;
        gdig[ng] = digits;
        ng++;
        if (ng == 1 && run != 4) break; /* grouped forms start with a group of 4 */
        if (q + 1 < len && (t[q] == ' ' || t[q] == '-') && (sep == 0 || sep == t[q]) &&
            pii_is_digit((unsigned char)t[q + 1])) {
            sep = t[q];
            p = q + 1;
            continue;
        }
        break;
    }
    for (int k = ng; k >= 1; k--) {
        size_t n = gdig[k - 1], end = gend[k - 1];
        if (n < 12 || n > 19) continue;
        if (!pii_word_end(t, len, end)) continue;
        if (end + 1 < len && (t[end] == '.' || t[end] == ',' || t[end] == '-' || t[end] == '/') &&
            pii_is_digit((unsigned char)t[end + 1])) {
            continue; /* a decimal or a longer separated number */
        }
        int iin = card_iin(d, n);
        if (iin == 0 || !pii_luhn_valid(d, n)) continue;
        if (iin == 2 && !pii_context_before(t, i, 48, pii_ctx_card).found &&
            !pii_context_after(t, len, end, 16, pii_ctx_card_after)) {
            continue;
        }
        pii_cands_add(out, i, end, PII_CREDIT_CARD, 0);
        return;
    }
}

/* ------------------------------------------------------------------------------------------------ SSN */

int pii_ssn_valid(unsigned area, unsigned group, unsigned serial) {
    if (area == 0 || area == 666 || area >= 900) return 0;
    if (group == 0 || serial == 0) return 0;
    /* Published in advertising and widely misused; never issued to the person on the card. */
    if (area == 78 && group == 5 && serial == 1120) return 0;
    if (area == 219 && group == 9 && serial == 9999) return 0;
    return 1;
}

static unsigned num(const char *t, size_t at, size_t n) {
    unsigned v = 0;
    for (size_t k = 0; k < n; k++) v = v * 10 + (unsigned)(t[at + k] - '0');
    return v;
}

static size_t digit_run(const char *t, size_t len, size_t at) {
    size_t q = at;
    while (q < len && pii_is_digit((unsigned char)t[q])) q++;
    return q - at;
}

/* AAA-GG-SSSS with '-', ' ' or '.' used consistently; a bare AAAGGSSSS only after an SSN word. */
void pii_scan_ssn(const pii_scan_ctx *s, size_t i, pii_cands *out) {
    const char *t = s->t;
    size_t len = s->len;
    if (!pii_chain_start(t, i)) return;
    size_t run = digit_run(t, len, i), end;
    unsigned area, group, serial;
    if (run == 3) {
        char sep = i + 3 < len ? t[i + 3] : 0;
        if (sep != '-' && sep != ' ' && sep != '.') return;
        if (digit_run(t, len, i + 4) != 2 || i + 6 >= len || t[i + 6] != sep) return;
        if (digit_run(t, len, i + 7) != 4) return;
        end = i + 11;
        area = num(t, i, 3);
        group = num(t, i + 4, 2);
        serial = num(t, i + 7, 4);
    } else if (run == 9) {
        end = i + 9;
        area = num(t, i, 3);
        group = num(t, i + 3, 2);
        serial = num(t, i + 5, 4);
        if (i > 0 && t[i - 1] == '#') return; /* "#123456789" is an id */
        if (!pii_context_before(t, i, 48, pii_ctx_ssn).found) return;
    } else {
        return;
    }
    if (!pii_word_end(t, len, end)) return;
    if (end + 1 < len && (t[end] == '-' || t[end] == '.' || t[end] == '/') && pii_is_digit((unsigned char)t[end + 1])) {
        return;
    }
    if (!pii_ssn_valid(area, group, serial)) return;
    pii_cands_add(out, i, end, PII_US_SSN, 0);
}

/* ------------------------------------------------------------------------------------------------ IBAN */

/* The IBAN registry (SWIFT): total length and BBAN structure per country, n = digits, a = letters,
 * c = letters or digits. */
typedef struct iban_country {
    char cc[3];
    unsigned char length;
    const char *bban;
} iban_country;

static const iban_country iban_registry[] = {
    {"AD", 24, "4n4n12c"}, {"AE", 23, "3n16n"}, {"AL", 28, "8n16c"}, {"AT", 20, "5n11n"}, {"AZ", 28, "4a20c"},
    {"BA", 20, "3n3n8n2n"}, {"BE", 16, "3n7n2n"}, {"BG", 22, "4a4n2n8c"}, {"BH", 22, "4a14c"},
    {"BI", 27, "5n5n11n2n"}, {"BR", 29, "8n5n10n1a1c"}, {"BY", 28, "4c4n16c"}, {"CH", 21, "5n12c"},
    {"CR", 22, "4n14n"}, {"CY", 28, "3n5n16c"}, {"CZ", 24, "4n16n"}, {"DE", 22, "8n10n"}, {"DJ", 27, "5n5n11n2n"},
    {"DK", 18, "4n9n1n"}, {"DO", 28, "4c20n"}, {"EE", 20, "2n14n"}, {"EG", 29, "4n4n17n"},
    {"ES", 24, "4n4n1n1n10n"}, {"FI", 18, "3n11n"}, {"FK", 18, "2a12n"}, {"FO", 18, "4n9n1n"},
    {"FR", 27, "5n5n11c2n"}, {"GB", 22, "4a6n8n"}, {"GE", 22, "2a16n"}, {"GI", 23, "4a15c"}, {"GL", 18, "4n9n1n"},
    {"GR", 27, "3n4n16c"}, {"GT", 28, "4c20c"}, {"HN", 28, "4a20n"}, {"HR", 21, "7n10n"},
    {"HU", 28, "3n4n1n15n1n"}, {"IE", 22, "4a6n8n"}, {"IL", 23, "3n3n13n"}, {"IQ", 23, "4a3n12n"},
    {"IS", 26, "4n2n6n10n"}, {"IT", 27, "1a5n5n12c"}, {"JO", 30, "4a4n18c"}, {"KW", 30, "4a22c"},
    {"KZ", 20, "3n13c"}, {"LB", 28, "4n20c"}, {"LC", 32, "4a24c"}, {"LI", 21, "5n12c"}, {"LT", 20, "5n11n"},
    {"LU", 20, "3n13c"}, {"LV", 21, "4a13c"}, {"LY", 25, "3n3n15n"}, {"MC", 27, "5n5n11c2n"}, {"MD", 24, "2c18c"},
    {"ME", 22, "3n13n2n"}, {"MK", 19, "3n10c2n"}, {"MN", 20, "4n12n"}, {"MR", 27, "5n5n11n2n"},
    {"MT", 31, "4a5n18c"}, {"MU", 30, "4a2n2n12n3n3a"}, {"NI", 28, "4a20n"}, {"NL", 18, "4a10n"},
    {"NO", 15, "4n6n1n"}, {"OM", 23, "3n16c"}, {"PK", 24, "4a16c"}, {"PL", 28, "8n16n"}, {"PS", 29, "4a21c"},
    {"PT", 25, "4n4n11n2n"}, {"QA", 29, "4a21c"}, {"RO", 24, "4a16c"}, {"RS", 22, "3n13n2n"},
    {"RU", 33, "9n5n15c"}, {"SA", 24, "2n18c"}, {"SC", 31, "4a2n2n16n3a"}, {"SD", 18, "2n12n"},
    {"SE", 24, "3n16n1n"}, {"SI", 19, "5n8n2n"}, {"SK", 24, "4n6n10n"}, {"SM", 27, "1a5n5n12c"},
    {"SO", 23, "4n3n12n"}, {"ST", 25, "4n4n11n2n"}, {"SV", 28, "4a20n"}, {"TL", 23, "3n14n2n"},
    {"TN", 24, "2n3n13n2n"}, {"TR", 26, "5n1n16c"}, {"UA", 29, "6n19c"}, {"VA", 22, "3n15n"}, {"VG", 24, "4a16n"},
    {"XK", 20, "4n10n2n"}, {"YE", 30, "4a4n18c"},
};

static const iban_country *iban_lookup(unsigned char a, unsigned char b) {
    a = pii_upper(a);
    b = pii_upper(b);
    size_t lo = 0, hi = sizeof iban_registry / sizeof iban_registry[0];
    while (lo < hi) { /* the table is sorted by country code */
        size_t mid = (lo + hi) / 2;
        int c = (unsigned char)iban_registry[mid].cc[0] - a;
        if (c == 0) c = (unsigned char)iban_registry[mid].cc[1] - b;
        if (c == 0) return &iban_registry[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* Checks the first n characters of bban (upper case) against the registry structure. */
static int bban_structure_ok(const char *bban, size_t n, const char *fmt) {
    size_t at = 0;
    for (const char *f = fmt; *f != '\0';) {
        unsigned count = 0;
        while (*f >= '0' && *f <= '9') count = count * 10 + (unsigned)(*f++ - '0');
        char kind = *f++;
        for (unsigned k = 0; k < count && at < n; k++, at++) {
            unsigned char c = (unsigned char)bban[at];
            if (kind == 'n' && !pii_is_digit(c)) return 0;
            if (kind == 'a' && !pii_is_upper(c)) return 0;
            if (kind == 'c' && !pii_is_digit(c) && !pii_is_upper(c)) return 0;
        }
    }
    return 1;
}

static unsigned mod97_digits(const char *d, size_t n) {
    unsigned r = 0;
    for (size_t k = 0; k < n; k++) r = (r * 10 + (unsigned)(d[k] - '0')) % 97;
    return r;
}

/* National check digits where the country defines them inside the BBAN. */
static int national_check_ok(const char *iban, size_t n) {
    const char *bban = iban + 4;
    if (iban[0] == 'E' && iban[1] == 'S') { /* CCC: two mod-11 check digits */
        static const unsigned w[10] = {1, 2, 4, 8, 5, 10, 9, 7, 3, 6};
        unsigned s1 = 0, s2 = 0;
        for (int k = 0; k < 8; k++) s1 += w[k + 2] * (unsigned)(bban[k] - '0');
        for (int k = 0; k < 10; k++) s2 += w[k] * (unsigned)(bban[10 + k] - '0');
        unsigned c1 = 11 - s1 % 11, c2 = 11 - s2 % 11;
        if (c1 >= 10) c1 = 11 - c1; /* 11 -> 0, 10 -> 1 */
        if (c2 >= 10) c2 = 11 - c2;
        return (unsigned)(bban[8] - '0') == c1 && (unsigned)(bban[9] - '0') == c2;
    }
    if (iban[0] == 'B' && iban[1] == 'E') { /* first 10 digits mod 97 (97 for 0) = last 2 */
        unsigned r = mod97_digits(bban, 10);
        if (r == 0) r = 97;
        return r == (unsigned)(bban[10] - '0') * 10 + (unsigned)(bban[11] - '0');
    }
    if (iban[0] == 'N' && iban[1] == 'O') { /* kontonummer: weighted mod 11 */
        static const unsigned w[10] = {5, 4, 3, 2, 7, 6, 5, 4, 3, 2};
        unsigned s = 0;
        for (int k = 0; k < 10; k++) s += w[k] * (unsigned)(bban[k] - '0');
        unsigned c = (11 - s % 11) % 11;
        return c != 10 && c == (unsigned)(bban[10] - '0');
    }
    (void)n;
    return 1;
}

int pii_iban_valid(const char *in, size_t n) {
    char s[40];
    if (n < 15 || n > 34) return 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = pii_upper((unsigned char)in[k]);
        if (!pii_is_digit(c) && !pii_is_upper(c)) return 0;
        s[k] = (char)c;
    }
    if (!pii_is_upper((unsigned char)s[0]) || !pii_is_upper((unsigned char)s[1])) return 0;
    if (!pii_is_digit((unsigned char)s[2]) || !pii_is_digit((unsigned char)s[3])) return 0;
    const iban_country *c = iban_lookup((unsigned char)s[0], (unsigned char)s[1]);
    if (c == NULL || c->length != n) return 0;
    if (!bban_structure_ok(s + 4, n - 4, c->bban)) return 0;
    /* mod-97 of BBAN + country + check digits, letters as 10..35 */
    unsigned r = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char ch = (unsigned char)s[(k + 4) % n];
        if (pii_is_digit(ch)) {
            r = (r * 10 + (unsigned)(ch - '0')) % 97;
        } else {
            r = (r * 100 + (unsigned)(ch - 'A' + 10)) % 97;
        }
    }
    if (r != 1) return 0;
    return national_check_ok(s, n);
}

int pii_iban_prefix_viable(const char *in, size_t n) {
    char s[40];
    if (n == 0 || n > 34) return 0;
    for (size_t k = 0; k < n; k++) s[k] = (char)pii_upper((unsigned char)in[k]);
    if (!pii_is_upper((unsigned char)s[0])) return 0;
    if (n == 1) return 1;
    const iban_country *c = iban_lookup((unsigned char)s[0], (unsigned char)s[1]);
    if (c == NULL || n >= c->length) return 0;
    for (size_t k = 2; k < n && k < 4; k++) {
        if (!pii_is_digit((unsigned char)s[k])) return 0;
    }
    return n <= 4 || bban_structure_ok(s + 4, n - 4, c->bban);
}

/* Country code + check digits, then letters/digits in groups of any size joined by single ' ', '-' or
 * '.', until exactly the registry length for that country is reached at the end of a group. */
void pii_scan_iban(const pii_scan_ctx *s, size_t i, pii_cands *out) {
    const char *t = s->t;
    size_t len = s->len;
    if (i + 4 >= len || !pii_is_alpha((unsigned char)t[i + 1])) return;
    /* Cheap rejection first: every word start comes through here. */
    if (!pii_is_digit((unsigned char)t[i + 2]) && !pii_is_digit((unsigned char)t[i + 3])) return;
    const iban_country *c = iban_lookup((unsigned char)t[i], (unsigned char)t[i + 1]);
    if (c == NULL) return;
    char buf[40];
    size_t n = 0, p = i;
    while (p < len && n < c->length) {
        unsigned char ch = (unsigned char)t[p];
        if (pii_is_alnum(ch)) {
            buf[n++] = (char)ch;
            p++;
        } else if ((ch == ' ' || ch == '-' || ch == '.') && n >= 2 && p + 1 < len &&
                   pii_is_alnum((unsigned char)t[p + 1]) && pii_is_alnum((unsigned char)t[p - 1])) {
            p++;
        } else {
            break;
        }
        if (n == 4 && (!pii_is_digit((unsigned char)buf[2]) || !pii_is_digit((unsigned char)buf[3]))) return;
        if (n == 3 && !pii_is_digit((unsigned char)buf[2])) return;
    }
    if (n != c->length || !pii_word_end(t, len, p)) return;
    /* Letters after the country code are all upper case or all lower case: "LV80 bANK ..." is a typo, not
     * an IBAN someone wrote. */
    int up = 0, lo = 0;
    for (size_t k = 2; k < n; k++) {
        up |= pii_is_upper((unsigned char)buf[k]);
        lo |= pii_is_lower((unsigned char)buf[k]);
    }
    if (up && lo) return;
    if (!pii_iban_valid(buf, n)) return;
    pii_cands_add(out, i, p, PII_IBAN_CODE, 0);
}
