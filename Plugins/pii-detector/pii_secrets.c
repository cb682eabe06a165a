/*
 * pii_secrets.c: API keys, tokens and private keys. The prefixes and lengths follow the providers' formats
 * as catalogued by gitleaks (config/gitleaks.toml): a key is reported when its fixed prefix is followed by
 * enough key characters and ends at a token boundary.
 */
#include <string.h>

#include "pii_internal.h"

static int is_key_char(unsigned char c) { return pii_is_alnum(c) || c == '_' || c == '-'; }
static int is_alnum_fn(unsigned char c) { return pii_is_alnum(c); }
static int is_word_fn(unsigned char c) { return pii_is_word(c); }
static int is_upper_digit(unsigned char c) { return pii_is_upper(c) || pii_is_digit(c); }
static int is_aws_secret_char(unsigned char c) { return pii_is_alnum(c) || c == '/' || c == '+'; }

/* Length of the run of bytes accepted by `ok` at p. */
static size_t run_of(const char *t, size_t len, size_t p, int (*ok)(unsigned char)) {
    size_t q = p;
    while (q < len && ok((unsigned char)t[q])) q++;
    return q - p;
}

/* Key material mixes letters and digits; prose with dashes ("sk-learn-tutorial-...") does not. */
static int has_letter_and_digit(const char *t, size_t p, size_t n) {
    int lt = 0, dg = 0;
    for (size_t k = 0; k < n && !(lt && dg); k++) {
        unsigned char c = (unsigned char)t[p + k];
        lt |= pii_is_alpha(c);
        dg |= pii_is_digit(c);
    }
    return lt && dg;
}

static int contains(const char *t, size_t p, size_t n, const char *needle) {
    size_t m = strlen(needle);
    for (size_t k = 0; k + m <= n; k++) {
        if (memcmp(t + p + k, needle, m) == 0) return 1;
    }
    return 0;
}

/* A token may not run straight into more key characters. */
static int key_end(const char *t, size_t len, size_t end) { return end >= len || !is_key_char((unsigned char)t[end]); }

/* sk-ant-api03-..., sk-ant-admin01-... (any sk-ant- kind): 32+ key characters. */
static void scan_anthropic(const pii_scan_ctx *s, size_t i, pii_cands *out) {
    size_t body = i + 7;
    size_t n = run_of(s->t, s->len, body, is_key_char);
    if (n < 32 || !has_letter_and_digit(s->t, body, n)) return;
    pii_cands_add(out, i, body + n, PII_ANTHROPIC_API_KEY, 0);
}

/* sk-[proj-|svcacct-|admin-]...: the "T3BlbkFJ" marker OpenAI keys carry, or 32+ key characters mixing
 * letters and digits. */
static void scan_openai(const pii_scan_ctx *s, size_t i, pii_cands *out) {
    size_t body = i + 3;
    size_t n = run_of(s->t, s->len, body, is_key_char);
    if (n < 20) return;
    if (contains(s->t, body, n, "T3BlbkFJ") || (n >= 32 && has_letter_and_digit(s->t, body, n))) {
        pii_cands_add(out, i, body + n, PII_OPENAI_API_KEY, 0);
    }
}

/* AKIA / ASIA / ABIA / ACCA + 16 upper-case letters or digits. */
static void scan_aws_id(const pii_scan_ctx *s, size_t i, pii_cands *out) {
    const char *t = s->t;
    size_t len = s->len;
    if (!(pii_has_prefix(t, len, i, "AKIA") || pii_has_prefix(t, len, i, "ASIA") ||
          pii_has_prefix(t, len, i, "ABIA") || pii_has_prefix(t, len, i, "ACCA"))) {
        return;
    }
    if (run_of(t, len, i + 4, is_upper_digit) != 16 || !pii_word_end(t, len, i + 20)) return;
    pii_cands_add(out, i, i + 20, PII_AWS_ACCESS_KEY_ID, 0);
}

/* AIza + 35 key characters. */
static void scan_google(const pii_scan_ctx *s, size_t i, pii_cands *out) {
    if (run_of(s->t, s->len, i + 4, is_key_char) != 35) return;
    pii_cands_add(out, i, i + 39, PII_GOOGLE_API_KEY, 0);
}

/* ghp_ gho_ ghu_ ghs_ ghr_ + 36..255 alphanumerics; github_pat_ + 22..255 [A-Za-z0-9_]. */
static void scan_github(const pii_scan_ctx *s, size_t i, pii_cands *out) {
    const char *t = s->t;
    size_t len = s->len;
    if (pii_has_prefix(t, len, i, "github_pat_")) {
        size_t n = run_of(t, len, i + 11, is_word_fn);
        if (n >= 22 && n <= 255 && key_end(t, len, i + 11 + n)) {
            pii_cands_add(out, i, i + 11 + n, PII_GITHUB_TOKEN, 0);
        }
        return;
    }
    if (i + 4 >= len || t[i + 1] != 'h' || t[i + 3] != '_') return;
    char k = t[i + 2];
    if (k != 'p' && k != 'o' && k != 'u' && k != 's' && k != 'r') return;
    size_t n = run_of(t, len, i + 4, is_alnum_fn);
    if (n >= 36 && n <= 255 && key_end(t, len, i + 4 + n)) pii_cands_add(out, i, i + 4 + n, PII_GITHUB_TOKEN, 0);
}

/* xoxb- xoxp- xoxa- xoxr- xoxs- xoxe- xoxo- (and xapp-) + 10+ [A-Za-z0-9-] containing digits. */
static void scan_slack(const pii_scan_ctx *s, size_t i, pii_cands *out) {
    const char *t = s->t;
    size_t len = s->len;
    size_t body;
    if (pii_has_prefix(t, len, i, "xapp-")) {
        body = i + 5;
    } else if (pii_has_prefix(t, len, i, "xox") && i + 4 < len && t[i + 4] == '-' &&
               strchr("bparseo", t[i + 3]) != NULL) {
        body = i + 5;
    } else {
        return;
    }
    size_t q = body;
    while (q < len && (pii_is_alnum((unsigned char)t[q]) || t[q] == '-')) q++;
    while (q > body && t[q - 1] == '-') q--;
    if (q - body < 10 || !has_letter_and_digit(t, body, q - body)) {
        /* legacy tokens are digits and dashes only: xoxb-123456789012-1234567890123 */
        size_t dg = 0;
        for (size_t k = body; k < q; k++) dg += pii_is_digit((unsigned char)t[k]);
        if (q - body < 10 || dg < 10) return;
    }
    pii_cands_add(out, i, q, PII_SLACK_TOKEN, 0);
}

/* header.payload.signature, base64url; the header is a JSON object, so it starts with "eyJ". The
 * signature may be empty (unsecured JWT). */
static void scan_jwt(const pii_scan_ctx *s, size_t i, pii_cands *out) {
    const char *t = s->t;
    size_t len = s->len;
    if (!pii_has_prefix(t, len, i, "eyJ")) return;
    size_t h = run_of(t, len, i, is_key_char);
    if (h < 10 || i + h >= len || t[i + h] != '.') return;
    size_t p0 = i + h + 1;
    size_t pl = run_of(t, len, p0, is_key_char);
    if (pl < 10 || p0 + pl >= len || t[p0 + pl] != '.') return;
    size_t s0 = p0 + pl + 1;
    size_t sg = run_of(t, len, s0, is_key_char);
    size_t end = s0 + sg;
    while (end < len && t[end] == '=' && end - (s0 + sg) < 2) end++;
    if (end < len && (is_key_char((unsigned char)t[end]) || t[end] == '.')) return;
    pii_cands_add(out, i, end, PII_JWT, 0);
}

void pii_scan_secret(const pii_scan_ctx *s, size_t i, pii_cands *out) {
    const char *t = s->t;
    size_t len = s->len;
    switch (t[i]) {
    case 's':
        if (pii_has_prefix(t, len, i, "sk-ant-")) {
            if (pii_enabled(s, PII_ANTHROPIC_API_KEY)) scan_anthropic(s, i, out);
        } else if (pii_has_prefix(t, len, i, "sk-")) {
            if (pii_enabled(s, PII_OPENAI_API_KEY)) scan_openai(s, i, out);
        }
        break;
    case 'A':
        if (pii_has_prefix(t, len, i, "AIza")) {
            if (pii_enabled(s, PII_GOOGLE_API_KEY)) scan_google(s, i, out);
        } else if (pii_enabled(s, PII_AWS_ACCESS_KEY_ID)) {
            scan_aws_id(s, i, out);
        }
        break;
    case 'g':
        if (pii_enabled(s, PII_GITHUB_TOKEN)) scan_github(s, i, out);
        break;
    case 'x':
        if (pii_enabled(s, PII_SLACK_TOKEN)) scan_slack(s, i, out);
        break;
    case 'e':
        if (pii_enabled(s, PII_JWT)) scan_jwt(s, i, out);
        break;
    default:
        break;
    }
}

/* 40 characters of [A-Za-z0-9/+] mixing upper case, lower case and digits, standing alone, with "aws" and
 * "secret" in the 80 bytes before it (aws_secret_access_key = ..., "AWS secret key: ..."). */
void pii_scan_aws_secret(const pii_scan_ctx *s, size_t i, pii_cands *out) {
    const char *t = s->t;
    size_t len = s->len;
    if (i > 0 && (is_aws_secret_char((unsigned char)t[i - 1]) || t[i - 1] == '=')) return;
    size_t n = 0;
    while (i + n < len && n <= 40 && is_aws_secret_char((unsigned char)t[i + n])) n++;
    if (n != 40) return;
    size_t end = i + 40;
    if (end < len && (t[end] == '=' || pii_is_word((unsigned char)t[end]))) return;
    int up = 0, lo = 0, dg = 0;
    for (size_t k = i; k < end; k++) {
        unsigned char c = (unsigned char)t[k];
        up |= pii_is_upper(c);
        lo |= pii_is_lower(c);
        dg |= pii_is_digit(c);
    }
    if (!(up && lo && dg)) return;
    static const char *const aws[] = {"aws", NULL};
    static const char *const secret[] = {"secret", NULL};
    /* "aws_secret_access_key": '_' joins the words, so look for them inside words too. */
    size_t lo_at = i > 80 ? i - 80 : 0;
    int has_aws = 0, has_secret = 0;
    for (size_t k = lo_at; k < i; k++) {
        if (!has_aws && pii_has_prefix_ci(t, i, k, aws[0])) has_aws = 1;
        if (!has_secret && pii_has_prefix_ci(t, i, k, secret[0])) has_secret = 1;
    }
    if (has_aws && has_secret) pii_cands_add(out, i, end, PII_AWS_SECRET_ACCESS_KEY, 0);
}

/* -----BEGIN [ A-Z0-9_-]* PRIVATE KEY[ BLOCK]----- ... -----END ... PRIVATE KEY[ BLOCK]-----
 * Without an END line the block runs to the end of the text (flag PII_MATCH_UNTERMINATED). */
void pii_scan_private_key(const pii_scan_ctx *s, size_t i, pii_cands *out) {
    const char *t = s->t;
    size_t len = s->len;
    if (i > 0 && t[i - 1] == '-') return;
    if (!pii_has_prefix(t, len, i, "-----BEGIN")) return;
    size_t p = i + 10;
    size_t limit = p + 100 < len ? p + 100 : len;
    while (p < limit && (t[p] == ' ' || pii_is_upper((unsigned char)t[p]) || pii_is_digit((unsigned char)t[p]) ||
                         t[p] == '_' || t[p] == '-') && !pii_has_prefix(t, len, p, "PRIVATE KEY")) {
        p++;
    }
    if (!pii_has_prefix(t, len, p, "PRIVATE KEY")) return;
    p += 11;
    if (pii_has_prefix(t, len, p, " BLOCK")) p += 6;
    if (!pii_has_prefix(t, len, p, "-----")) return;
    p += 5;
    /* find the END line */
    for (size_t q = p; q + 8 <= len; q++) {
        if (t[q] != '-' || !pii_has_prefix(t, len, q, "-----END")) continue;
        size_t r = q + 8;
        size_t rl = r + 100 < len ? r + 100 : len;
        while (r < rl && t[r] != '\n' && !pii_has_prefix(t, len, r, "KEY-----") &&
               !pii_has_prefix(t, len, r, "KEY BLOCK-----")) {
            r++;
        }
        size_t end = 0;
        if (pii_has_prefix(t, len, r, "KEY-----")) end = r + 8;
        if (pii_has_prefix(t, len, r, "KEY BLOCK-----")) end = r + 14;
        if (end != 0) {
            pii_cands_add(out, i, end, PII_PRIVATE_KEY, 0);
            return;
        }
    }
    pii_cands_add(out, i, len, PII_PRIVATE_KEY, PII_MATCH_UNTERMINATED);
}
