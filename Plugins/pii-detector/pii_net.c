/*
 * pii_net.c: EMAIL_ADDRESS and IP_ADDRESS.
 */
#include "pii_internal.h"

/* ------------------------------------------------------------------------------------------------ e-mail */

/* Local part: RFC 5322 atoms in practice, plus accented Latin letters (RFC 6531) for names such as
 * "jürgen": UTF-8 lead bytes 0xC3-0xC9 (U+00C0-U+024F) and continuation bytes. */
static int is_local_char(unsigned char c) {
    return pii_is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\'' ||
           (c >= 0xC3 && c <= 0xC9) || (c >= 0x80 && c <= 0xBF);
}

/* Image names such as "icon@2x.png" look like addresses; these endings are never top-level domains
 * people write. */
static int is_file_extension(const char *t, size_t at, size_t n) {
    static const char *const ext[] = {"png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "tif", "tiff", NULL};
    for (int k = 0; ext[k] != NULL; k++) {
        size_t m = 0;
        while (ext[k][m] != '\0') m++;
        if (m != n) continue;
        size_t q = 0;
        while (q < n && pii_lower((unsigned char)t[at + q]) == (unsigned char)ext[k][q]) q++;
        if (q == n) return 1;
    }
    return 0;
}

/* local@domain: local part 1..64 bytes of [A-Za-z0-9._%+-] not starting or ending with '.', domain of
 * at least two labels [A-Za-z0-9-] (not starting/ending with '-'), top-level label alphabetic (2+) or
 * punycode ("xn--..."). */
void pii_scan_email(const pii_scan_ctx *s, size_t at, pii_cands *out) {
    const char *t = s->t;
    size_t len = s->len;
    size_t b = at;
    while (b > 0 && is_local_char((unsigned char)t[b - 1])) {
        b--;
        if (at - b > 64) return;
    }
    while (b < at && (t[b] == '.' || t[b] == '-' || t[b] == '\'')) b++;
    while (b < at && ((unsigned char)t[b] & 0xC0) == 0x80) b++; /* never start inside a UTF-8 sequence */
    if (b == at || t[at - 1] == '.' || t[at - 1] == '\'') return;
    for (size_t q = b; q + 1 < at; q++) {
        if (t[q] == '.' && t[q + 1] == '.') return;
    }
    size_t p = at + 1, labels = 0, tld_start = 0, tld_len = 0;
    for (;;) {
        size_t l0 = p;
        while (p < len && (pii_is_alnum((unsigned char)t[p]) || t[p] == '-')) p++;
        size_t n = p - l0;
        if (n == 0 || n > 63 || t[l0] == '-' || t[p - 1] == '-') return;
        labels++;
        tld_start = l0;
        tld_len = n;
        if (p + 1 < len && t[p] == '.' && pii_is_alnum((unsigned char)t[p + 1])) {
            p++;
            continue;
        }
        break;
    }
    if (labels < 2 || p - (at + 1) > 253) return;
    int tld_ok = 1;
    if (pii_has_prefix_ci(t, len, tld_start, "xn--")) {
        tld_ok = tld_len > 4;
    } else {
        if (tld_len < 2) tld_ok = 0;
        for (size_t q = 0; q < tld_len && tld_ok; q++) tld_ok = pii_is_alpha((unsigned char)t[tld_start + q]);
        if (tld_ok && is_file_extension(t, tld_start, tld_len)) tld_ok = 0;
    }
    if (!tld_ok) return;
    if (p < len && (pii_is_word((unsigned char)t[p]) || t[p] == '@')) return;
    pii_cands_add(out, b, p, PII_EMAIL_ADDRESS, 0);
}

/* ------------------------------------------------------------------------------------------------ IPv4 */

/* Parses a dotted quad at i (octets 0..255, 1..3 digits). Returns the end offset or 0. */
static size_t parse_ipv4(const char *t, size_t len, size_t i) {
    size_t p = i;
    for (int octet = 0; octet < 4; octet++) {
        if (octet > 0) {
            if (p >= len || t[p] != '.') return 0;
            p++;
        }
        size_t d0 = p;
        unsigned v = 0;
        while (p < len && p - d0 < 4 && pii_is_digit((unsigned char)t[p])) v = v * 10 + (unsigned)(t[p++] - '0');
        if (p == d0 || p - d0 > 3 || v > 255) return 0;
    }
    return p;
}

/* A dotted quad not inside a longer dotted number ("1.2.3.4.5", OIDs) and not after a version word. */
void pii_scan_ipv4(const pii_scan_ctx *s, size_t i, pii_cands *out) {
    const char *t = s->t;
    size_t len = s->len;
    if (!pii_number_start(t, i)) return;
    size_t end = parse_ipv4(t, len, i);
    if (end == 0 || !pii_word_end(t, len, end)) return;
    if (end + 1 < len && t[end] == '.' && pii_is_digit((unsigned char)t[end + 1])) return;
    pii_context_hit v = pii_context_before(t, i, 12, pii_ctx_version);
    if (v.found && v.distance <= 2) return;
    pii_cands_add(out, i, end, PII_IP_ADDRESS, 0);
}

/* ------------------------------------------------------------------------------------------------ IPv6 */

/* RFC 4291 text forms: eight groups of 1-4 hex digits, one "::" for a run of zero groups, an embedded
 * IPv4 in place of the last two groups, an optional zone ("%eth0"). The bare unspecified address "::" is
 * not reported: it carries no personal data and is everyday code syntax (Haskell's "x :: Int"). Times
 * (12:30:45), MAC addresses (six groups) and ratios fail the group count. */
void pii_scan_ipv6(const pii_scan_ctx *s, size_t i, pii_cands *out) {
    const char *t = s->t;
    size_t len = s->len;
    if (i > 0 && (pii_is_word((unsigned char)t[i - 1]) || t[i - 1] == ':' || t[i - 1] == '.')) return;
    size_t p = i;
    int groups = 0, dbl = 0;
    if (t[p] == ':') {
        if (p + 1 >= len || t[p + 1] != ':') return;
        dbl = 1;
        p += 2;
    } else {
        /* Quick rejection: a hex group must be followed by ':' within 5 bytes. */
        size_t q = p;
        while (q < len && q - p < 5 && pii_is_hex((unsigned char)t[q])) q++;
        if (q >= len || t[q] != ':') return;
    }
    for (;;) {
        if (p < len && pii_is_hex((unsigned char)t[p])) {
            size_t v4 = parse_ipv4(t, len, p);
            if (v4 != 0 && (dbl ? groups + 2 <= 7 : groups + 2 == 8)) {
                groups += 2;
                p = v4;
                break;
            }
            size_t q = p;
            while (q < len && pii_is_hex((unsigned char)t[q])) q++;
            if (q - p > 4) return;
            groups++;
            p = q;
            if (groups > 8) return;
            if (p + 1 < len && t[p] == ':' && t[p + 1] == ':') {
                if (dbl) return; /* a second "::" */
                dbl = 1;
                p += 2;
                continue;
            }
            if (p + 1 < len && t[p] == ':' && pii_is_hex((unsigned char)t[p + 1])) {
                p++;
                continue;
            }
            break;
        }
        break;
    }
    if (p < len && t[p] == ':') return; /* ":::" or a dangling colon */
    if (dbl ? groups > 7 : groups != 8) return;
    if (groups == 0) return;
    size_t end = p;
    if (end + 1 < len && t[end] == '%' && pii_is_alnum((unsigned char)t[end + 1])) { /* zone id */
        end++;
        while (end < len && (pii_is_alnum((unsigned char)t[end]) || t[end] == '_' || t[end] == '-')) end++;
    }
    if (!pii_word_end(t, len, end)) return;
    if (end + 1 < len && t[end] == '.' && pii_is_digit((unsigned char)t[end + 1])) return;
    pii_cands_add(out, i, end, PII_IP_ADDRESS, 0);
}
