/*
 * mini_json.h: a tiny, dependency-free reader for the FLAT JSON objects that gatewayhost hands to
 * create() as pab_create_args.config_json, e.g. {"keywords":["a","b"],"message":"no","status":409}.
 *
 * Header-only, `static inline` functions only (no symbols escape the plugin, no unused-function
 * warnings), C11, no locale dependence (numbers are parsed by hand, never with strtod).
 *
 * What it does:
 *  - validates the WHOLE document (any JSON: nested objects/arrays are skipped, not rejected, so an
 *    unknown nested key never hides a known flat one), at most MJ_MAX_DEPTH levels deep;
 *  - looks a top-level key up and returns its value as a string (unescaped, malloc'd,
 *    NUL-terminated), a number, an integer, a bool, or an array of strings;
 *  - treats a `null` value exactly like a missing key.
 * What it does not do: validate UTF-8, reject duplicate keys (the first one wins; canonical JSON has
 * none), or keep anything between calls. Every call re-scans the document: meant for create(), not for
 * hot paths.
 *
 * Return codes of the mj_get_* functions: MJ_OK, MJ_MISSING (no such key, or null), MJ_WRONG_TYPE
 * (key present with another JSON type, or an integer out of range), MJ_MALFORMED (the document is not
 * one valid JSON object), MJ_NO_MEMORY.
 */
#ifndef MINI_JSON_H
#define MINI_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MJ_OK 0
#define MJ_MISSING 1
#define MJ_WRONG_TYPE 2
#define MJ_MALFORMED 3
#define MJ_NO_MEMORY 4

#define MJ_MAX_DEPTH 64

/* A raw value token inside the document: p[0..n) is the exact JSON text of the value. */
typedef struct mj_span {
    const char *p;
    size_t n;
} mj_span;

static inline size_t mj_skip_ws(const char *s, size_t n, size_t i) {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    return i;
}

static inline int mj_hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* s[*i] must be '"'. Moves *i past the closing quote. Validates escapes and rejects raw control
 * characters. Returns 1 on success, 0 on malformed input. */
static inline int mj_skip_string(const char *s, size_t n, size_t *i) {
    size_t k = *i + 1;
    while (k < n) {
        unsigned char c = (unsigned char)s[k];
        if (c == '"') {
            *i = k + 1;
            return 1;
        }
        if (c < 0x20) return 0;
        if (c == '\\') {
            if (k + 1 >= n) return 0;
            char e = s[k + 1];
            if (e == 'u') {
                if (k + 5 >= n) return 0;
                for (size_t h = 2; h <= 5; h++)
                    if (mj_hex(s[k + h]) < 0) return 0;
                k += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == '\0') return 0;
            k += 2;
            continue;
        }
        k++;
    }
    return 0;
}

/* Moves *i past a JSON number (RFC 8259 grammar). Returns 1 on success. */
static inline int mj_skip_number(const char *s, size_t n, size_t *i) {
    size_t k = *i;
    if (k < n && s[k] == '-') k++;
    if (k >= n) return 0;
    if (s[k] == '0') {
        k++;
    } else if (s[k] >= '1' && s[k] <= '9') {
        while (k < n && s[k] >= '0' && s[k] <= '9') k++;
    } else {
        return 0;
    }
    if (k < n && s[k] == '.') {
        k++;
        if (k >= n || s[k] < '0' || s[k] > '9') return 0;
        while (k < n && s[k] >= '0' && s[k] <= '9') k++;
    }
    if (k < n && (s[k] == 'e' || s[k] == 'E')) {
        k++;
        if (k < n && (s[k] == '+' || s[k] == '-')) k++;
        if (k >= n || s[k] < '0' || s[k] > '9') return 0;
        while (k < n && s[k] >= '0' && s[k] <= '9') k++;
    }
    *i = k;
    return 1;
}

static inline int mj_skip_literal(const char *s, size_t n, size_t *i, const char *lit) {
    size_t len = strlen(lit);
    if (n - *i < len || memcmp(s + *i, lit, len) != 0) return 0;
    *i += len;
    return 1;
}

/* Moves *i (pointing at the first byte of a value, no leading whitespace) past one JSON value of any
 * type. Returns 1 on success, 0 on malformed input or nesting deeper than MJ_MAX_DEPTH. */
static inline int mj_skip_value(const char *s, size_t n, size_t *i, int depth) {
    if (*i >= n || depth > MJ_MAX_DEPTH) return 0;
    char c = s[*i];
    if (c == '"') return mj_skip_string(s, n, i);
    if (c == 't') return mj_skip_literal(s, n, i, "true");
    if (c == 'f') return mj_skip_literal(s, n, i, "false");
    if (c == 'n') return mj_skip_literal(s, n, i, "null");
    if (c == '-' || (c >= '0' && c <= '9')) return mj_skip_number(s, n, i);
    if (c != '[' && c != '{') return 0;

    char close = c == '[' ? ']' : '}';
    size_t k = mj_skip_ws(s, n, *i + 1);
    if (k < n && s[k] == close) {
        *i = k + 1;
        return 1;
    }
    for (;;) {
        if (close == '}') {
            if (k >= n || s[k] != '"' || !mj_skip_string(s, n, &k)) return 0;
            k = mj_skip_ws(s, n, k);
            if (k >= n || s[k] != ':') return 0;
            k = mj_skip_ws(s, n, k + 1);
        }
        if (!mj_skip_value(s, n, &k, depth + 1)) return 0;
        k = mj_skip_ws(s, n, k);
        if (k >= n) return 0;
        if (s[k] == ',') {
            k = mj_skip_ws(s, n, k + 1);
            continue;
        }
        if (s[k] != close) return 0;
        *i = k + 1;
        return 1;
    }
}

/* Appends code point cp as UTF-8 to dst; returns the number of bytes written (1..4). */
static inline size_t mj_put_utf8(char *dst, uint32_t cp) {
    if (cp < 0x80) {
        dst[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (char)(0xC0 | (cp >> 6));
        dst[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | (cp >> 12));
        dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    dst[0] = (char)(0xF0 | (cp >> 18));
    dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    dst[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static inline uint32_t mj_hex4(const char *p) {
    return (uint32_t)(mj_hex(p[0]) << 12 | mj_hex(p[1]) << 8 | mj_hex(p[2]) << 4 | mj_hex(p[3]));
}

/* Unescapes the body of a string token that mj_skip_string already validated (p[0..n) is the text
 * BETWEEN the quotes) into dst, which must have room for n bytes (unescaping never grows the text).
 * Lone surrogates become U+FFFD. Returns the number of bytes written. */
static inline size_t mj_unescape(const char *p, size_t n, char *dst) {
    size_t o = 0;
    for (size_t k = 0; k < n;) {
        if (p[k] != '\\') {
            dst[o++] = p[k++];
            continue;
        }
        char e = p[k + 1];
        k += 2;
        switch (e) {
        case 'b': dst[o++] = '\b'; break;
        case 'f': dst[o++] = '\f'; break;
        case 'n': dst[o++] = '\n'; break;
        case 'r': dst[o++] = '\r'; break;
        case 't': dst[o++] = '\t'; break;
        case 'u': {
            uint32_t cp = mj_hex4(p + k);
            k += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                /* A high surrogate must be followed by an escaped low surrogate. */
                if (k + 6 <= n && p[k] == '\\' && p[k + 1] == 'u') {
                    uint32_t lo = mj_hex4(p + k + 2);
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        k += 6;
                    } else {
                        cp = 0xFFFD;
                    }
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            o += mj_put_utf8(dst + o, cp);
            break;
        }
        default: dst[o++] = e; break; /* '"', '\\', '/' */
        }
    }
    return o;
}

/* Copies a string token (quotes included in tok) into a new NUL-terminated buffer. */
static inline int mj_dup_string(mj_span tok, char **out, size_t *out_len) {
    if (tok.n < 2) return MJ_MALFORMED; /* cannot happen for a validated token; keeps the size math safe */
    size_t body = tok.n - 2;
    char *buf = (char *)malloc(body + 1);
    if (!buf) return MJ_NO_MEMORY;
    size_t len = mj_unescape(tok.p + 1, body, buf);
    buf[len] = '\0';
    *out = buf;
    if (out_len) *out_len = len;
    return MJ_OK;
}

/* Finds top-level `key` in the object s[0..n). Validates the whole document even after a hit, so
 * that a truncated or broken config is always reported as MJ_MALFORMED. */
static inline int mj_find(const char *s, size_t n, const char *key, mj_span *out) {
    size_t key_len = strlen(key);
    size_t i = mj_skip_ws(s, n, 0);
    int found = 0;
    if (i >= n || s[i] != '{') return MJ_MALFORMED;
    i = mj_skip_ws(s, n, i + 1);
    if (i < n && s[i] == '}') {
        i = mj_skip_ws(s, n, i + 1);
        return i == n ? MJ_MISSING : MJ_MALFORMED;
    }
    for (;;) {
        size_t key_start = i;
        if (i >= n || s[i] != '"' || !mj_skip_string(s, n, &i)) return MJ_MALFORMED;
        const char *kp = s + key_start + 1;
        size_t kn = i - key_start - 2;
        int match;
        if (memchr(kp, '\\', kn) == NULL) {
            match = kn == key_len && memcmp(kp, key, kn) == 0;
        } else {
            char *tmp = (char *)malloc(kn + 1);
            if (!tmp) return MJ_NO_MEMORY;
            size_t tn = mj_unescape(kp, kn, tmp);
            match = tn == key_len && memcmp(tmp, key, tn) == 0;
            free(tmp);
        }
        i = mj_skip_ws(s, n, i);
        if (i >= n || s[i] != ':') return MJ_MALFORMED;
        i = mj_skip_ws(s, n, i + 1);
        size_t value_start = i;
        if (!mj_skip_value(s, n, &i, 1)) return MJ_MALFORMED;
        if (match && !found) {
            found = 1;
            out->p = s + value_start;
            out->n = i - value_start;
        }
        i = mj_skip_ws(s, n, i);
        if (i >= n) return MJ_MALFORMED;
        if (s[i] == ',') {
            i = mj_skip_ws(s, n, i + 1);
            continue;
        }
        if (s[i] != '}') return MJ_MALFORMED;
        i = mj_skip_ws(s, n, i + 1);
        if (i != n) return MJ_MALFORMED; /* trailing garbage */
        break;
    }
    if (!found || (out->n == 4 && memcmp(out->p, "null", 4) == 0)) return MJ_MISSING;
    return MJ_OK;
}

/* 1 when s[0..n) is one valid JSON object (and nothing else but whitespace). */
static inline int mj_is_object(const char *s, size_t n) {
    mj_span unused = {NULL, 0};
    int rc = mj_find(s, n, "", &unused); /* no real config key is empty; a hit is still valid JSON */
    return rc == MJ_OK || rc == MJ_MISSING;
}

/* Checks that every top-level key of the object s[0..n) is one of allowed[0..count). Returns MJ_OK, or
 * MJ_WRONG_TYPE with the first unknown key (unescaped, truncated to fit, NUL-terminated) in bad, or
 * MJ_MALFORMED / MJ_NO_MEMORY. Use it to reject typos such as "keyword" for "keywords". */
static inline int mj_check_keys(const char *s, size_t n, const char *const *allowed, size_t count, char *bad,
                                size_t bad_cap) {
    if (!mj_is_object(s, n)) return MJ_MALFORMED;
    size_t i = mj_skip_ws(s, n, mj_skip_ws(s, n, 0) + 1);
    while (i < n && s[i] == '"') {
        size_t start = i;
        if (!mj_skip_string(s, n, &i) || i - start < 2) return MJ_MALFORMED;
        char *key = (char *)malloc(i - start - 1);
        if (!key) return MJ_NO_MEMORY;
        size_t key_len = mj_unescape(s + start + 1, i - start - 2, key);
        key[key_len] = '\0';
        int known = 0;
        for (size_t k = 0; k < count && !known; k++)
            known = strlen(allowed[k]) == key_len && memcmp(allowed[k], key, key_len) == 0;
        if (!known) {
            if (bad_cap) {
                size_t copy = key_len < bad_cap - 1 ? key_len : bad_cap - 1;
                memcpy(bad, key, copy);
                bad[copy] = '\0';
            }
            free(key);
            return MJ_WRONG_TYPE;
        }
        free(key);
        i = mj_skip_ws(s, n, mj_skip_ws(s, n, i) + 1); /* past ':' */
        mj_skip_value(s, n, &i, 1);
        i = mj_skip_ws(s, n, i);
        if (s[i] == ',') i = mj_skip_ws(s, n, i + 1);
    }
    return MJ_OK;
}

/* The value of `key` as a new NUL-terminated, unescaped string (free() it). *out_len (optional) gets
 * its length, which differs from strlen() only if the text contains \u0000. */
static inline int mj_get_string(const char *s, size_t n, const char *key, char **out, size_t *out_len) {
    mj_span tok = {NULL, 0};
    int rc = mj_find(s, n, key, &tok);
    if (rc != MJ_OK) return rc;
    if (tok.p[0] != '"') return MJ_WRONG_TYPE;
    return mj_dup_string(tok, out, out_len);
}

static inline int mj_get_bool(const char *s, size_t n, const char *key, int *out) {
    mj_span tok = {NULL, 0};
    int rc = mj_find(s, n, key, &tok);
    if (rc != MJ_OK) return rc;
    if (tok.p[0] == 't') *out = 1;
    else if (tok.p[0] == 'f') *out = 0;
    else return MJ_WRONG_TYPE;
    return MJ_OK;
}

/* The value of `key` as a double. Parsed by hand (locale-independent); exact for integers up to 2^53,
 * close enough for configuration values otherwise. */
static inline int mj_get_number(const char *s, size_t n, const char *key, double *out) {
    mj_span tok = {NULL, 0};
    int rc = mj_find(s, n, key, &tok);
    if (rc != MJ_OK) return rc;
    const char *p = tok.p, *end = tok.p + tok.n;
    if (!(*p == '-' || (*p >= '0' && *p <= '9'))) return MJ_WRONG_TYPE;
    int negative = 0;
    double mantissa = 0.0;
    long exponent = 0;
    if (*p == '-') {
        negative = 1;
        p++;
    }
    for (; p < end && *p >= '0' && *p <= '9'; p++) mantissa = mantissa * 10.0 + (*p - '0');
    if (p < end && *p == '.') {
        for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
            mantissa = mantissa * 10.0 + (*p - '0');
            exponent--;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        int exp_negative = 0;
        long e = 0;
        p++;
        if (*p == '+' || *p == '-') exp_negative = *p++ == '-';
        for (; p < end && *p >= '0' && *p <= '9'; p++)
            if (e < 100000) e = e * 10 + (*p - '0');
        exponent += exp_negative ? -e : e;
    }
    /* Scale step by step: no libm needed. Saturates to 0 or infinity for absurd exponents. */
    for (; exponent > 0 && mantissa < 1e308; exponent--) mantissa *= 10.0;
    for (; exponent < 0 && mantissa != 0.0; exponent++) mantissa /= 10.0;
    *out = negative ? -mantissa : mantissa;
    return MJ_OK;
}

/* The value of `key` as an integer in [min, max]. Accepts any JSON number with an integral value
 * (409, 409.0, 4.09e2); anything else, or a value outside the range, is MJ_WRONG_TYPE. */
static inline int mj_get_int(const char *s, size_t n, const char *key, int64_t min, int64_t max, int64_t *out) {
    double d;
    int rc = mj_get_number(s, n, key, &d);
    if (rc != MJ_OK) return rc;
    /* The first test keeps the cast below defined: (double)INT64_MAX rounds up to 2^63. */
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return MJ_WRONG_TYPE;
    if (!(d >= (double)min && d <= (double)max)) return MJ_WRONG_TYPE;
    int64_t v = (int64_t)d;
    if ((double)v != d) return MJ_WRONG_TYPE;
    *out = v;
    return MJ_OK;
}

/* Frees what mj_get_string_array returned. */
static inline void mj_free_string_array(char **items, size_t *lens, size_t count) {
    if (items)
        for (size_t k = 0; k < count; k++) free(items[k]);
    free(items);
    free(lens);
}

/* The value of `key` as an array of strings: *out_items gets `*out_count` malloc'd NUL-terminated
 * strings, *out_lens (optional) their lengths. Free with mj_free_string_array. An element that is not
 * a string makes the whole value MJ_WRONG_TYPE. An empty array is MJ_OK with count 0. */
static inline int mj_get_string_array(const char *s, size_t n, const char *key, char ***out_items, size_t **out_lens,
                                      size_t *out_count) {
    mj_span tok = {NULL, 0};
    int rc = mj_find(s, n, key, &tok);
    if (rc != MJ_OK) return rc;
    if (tok.p[0] != '[') return MJ_WRONG_TYPE;

    /* First pass: count and type-check the elements (the token was validated by mj_find). */
    size_t count = 0;
    size_t i = mj_skip_ws(tok.p, tok.n, 1);
    while (i < tok.n && tok.p[i] != ']') {
        if (tok.p[i] != '"') return MJ_WRONG_TYPE;
        if (!mj_skip_string(tok.p, tok.n, &i)) return MJ_MALFORMED;
        count++;
        i = mj_skip_ws(tok.p, tok.n, i);
        if (tok.p[i] == ',') i = mj_skip_ws(tok.p, tok.n, i + 1);
    }

    char **items = (char **)calloc(count ? count : 1, sizeof(char *));
    size_t *lens = (size_t *)calloc(count ? count : 1, sizeof(size_t));
    if (!items || !lens) {
        free(items);
        free(lens);
        return MJ_NO_MEMORY;
    }
    i = mj_skip_ws(tok.p, tok.n, 1);
    for (size_t k = 0; k < count; k++) {
        size_t start = i;
        int element_rc = mj_skip_string(tok.p, tok.n, &i) ? MJ_OK : MJ_MALFORMED;
        if (element_rc == MJ_OK)
            element_rc = mj_dup_string((mj_span){tok.p + start, i - start}, &items[k], &lens[k]);
        if (element_rc != MJ_OK) {
            mj_free_string_array(items, lens, k);
            return element_rc;
        }
        i = mj_skip_ws(tok.p, tok.n, i);
        if (tok.p[i] == ',') i = mj_skip_ws(tok.p, tok.n, i + 1);
    }
    *out_items = items;
    if (out_lens) *out_lens = lens;
    else free(lens);
    *out_count = count;
    return MJ_OK;
}

#endif /* MINI_JSON_H */
