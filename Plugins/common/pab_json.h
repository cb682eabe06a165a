/*
 * pab_json.h: the one strict JSON reader (RFC 8259) shared by the C plugins, for the config_json that
 * create() receives and for the small JSON attributes and stream events some plugins read. One copy, so
 * that every plugin accepts and refuses exactly the same configs.
 *
 * Header-only: `static inline` functions only (no symbol escapes the plugin, no unused-function warning),
 * C11, libc only (no libm), no locale dependence (numbers are converted by hand, never with strtod). Build
 * with `-I Plugins/common` (SwiftPM: .headerSearchPath("../common")).
 *
 * WHAT IT ACCEPTS: exactly one JSON value (whitespace around it allowed): objects, arrays, strings with
 * every escape (a \u surrogate must be a valid pair; the text must be valid UTF-8), numbers, true, false,
 * null. It refuses: nesting deeper than PAB_JSON_MAX_DEPTH, a DUPLICATE KEY in one object (an error, not
 * "first" or "last wins": a config that says two things is a mistake to report), and the escape \u0000
 * unless the caller passes PAB_JSON_ALLOW_NUL (then strings may hold NUL bytes: use str_len).
 *
 * OWNERSHIP AND LIFETIME
 *  - pab_json_parse reads text[0, n) only during the call; the tree copies everything it keeps, so the
 *    text may be freed right after.
 *  - The tree (every str, keys[k], items, and the nested values) is owned by the root value and freed
 *    by ONE pab_json_free(&root). Every pointer a lookup returns (pab_json_get, pab_json_get_string...)
 *    points into that tree: valid until pab_json_free, never to be freed by the caller.
 *  - On failure pab_json_parse leaves *out empty (pab_json_free on it is harmless) and fills *error.
 *  - Nothing is kept between calls; every function is reentrant.
 *
 * EXAMPLE (in create(); null counts as missing in the pab_json_get_* getters)
 *
 *     pab_json root;
 *     pab_json_error jerr;
 *     if (pab_json_parse(cfg.ptr, cfg.len, 0, &root, &jerr) != 0) {
 *         snprintf(err, cap, "invalid JSON at byte %zu: %s", jerr.offset, jerr.message);
 *         return NULL;
 *     }
 *     int64_t status = 403;                 // the default stays when the key is missing or null
 *     int rc = pab_json_get_int(&root, "status", 400, 599, &status);
 *     if (rc != PAB_JSON_OK && rc != PAB_JSON_MISSING) { ... "status must be an integer in 400..599" }
 *     const pab_json *words = pab_json_get(&root, "keywords");   // any type: check words->type
 *     ...
 *     pab_json_free(&root);
 */
#ifndef PAB_JSON_H
#define PAB_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pab_json.type */
#define PAB_JSON_NULL 0
#define PAB_JSON_BOOL 1
#define PAB_JSON_NUMBER 2
#define PAB_JSON_STRING 3
#define PAB_JSON_ARRAY 4
#define PAB_JSON_OBJECT 5

/* pab_json_parse flags */
#define PAB_JSON_ALLOW_NUL 1u /* accept \u0000 in strings (they may then hold NUL bytes) */

/* Return codes of the pab_json_get_* getters. */
#define PAB_JSON_OK 0
#define PAB_JSON_MISSING 1    /* no such key, the value is null, or the object is not an object */
#define PAB_JSON_WRONG_TYPE 2 /* present with another type, or a number out of range / not integral */

#define PAB_JSON_MAX_DEPTH 64

typedef struct pab_json pab_json;
struct pab_json {
    int type;          /* PAB_JSON_* */
    int boolean;       /* BOOL */
    double number;     /* NUMBER: nearest double, or +-HUGE_VAL beyond its range */
    int is_integer;    /* NUMBER written without fraction or exponent ("42", not "42.0" or "4.2e1") */
    char *str;         /* STRING: unescaped UTF-8, NUL-terminated; str_len counts bytes */
    size_t str_len;
    pab_json *items;   /* ARRAY: the elements; OBJECT: the member values, in document order */
    char **keys;       /* OBJECT: the member names (unescaped, NUL-terminated), keys[k] names items[k] */
    size_t *key_lens;
    size_t count;      /* elements or members */
};

typedef struct pab_json_error {
    size_t offset;     /* byte offset in the text where reading stopped */
    char message[112]; /* what is wrong, e.g. "expected ':'"; no offset in it (callers format their own) */
} pab_json_error;

/* ------------------------------------------------------------------------------------------- parser */

typedef struct pab_json_reader_ {
    const char *s;
    size_t n, i;
    unsigned flags;
    pab_json_error *e;
} pab_json_reader_;

static inline int pab_json_fail_(pab_json_reader_ *r, const char *what, const char *key) {
    r->e->offset = r->i;
    if (key) snprintf(r->e->message, sizeof r->e->message, "%s \"%.64s\"", what, key);
    else snprintf(r->e->message, sizeof r->e->message, "%s", what);
    return -1;
}

static inline void pab_json_ws_(pab_json_reader_ *r) {
    while (r->i < r->n && (r->s[r->i] == ' ' || r->s[r->i] == '\t' || r->s[r->i] == '\n' || r->s[r->i] == '\r'))
        r->i++;
}

static inline void pab_json_free(pab_json *v) {
    if (!v) return;
    free(v->str);
    for (size_t k = 0; k < v->count; k++) {
        if (v->items) pab_json_free(&v->items[k]);
        if (v->keys) free(v->keys[k]);
    }
    free(v->items);
    free(v->keys);
    free(v->key_lens);
    memset(v, 0, sizeof *v);
}

static inline int pab_json_hex4_(pab_json_reader_ *r, unsigned *out) {
    if (r->n - r->i < 4) return pab_json_fail_(r, "truncated \\u escape", NULL);
    unsigned v = 0;
    for (int k = 0; k < 4; k++, r->i++) {
        char c = r->s[r->i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return pab_json_fail_(r, "bad hex digit in \\u escape", NULL);
    }
    *out = v;
    return 0;
}

/* Length of the valid UTF-8 sequence at s[0] (RFC 3629: no overlong form, no surrogate, at most
 * U+10FFFF), 0 when invalid. The second byte's range carries all three rules. */
static inline size_t pab_json_utf8_len_(const unsigned char *s, size_t n) {
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) need = 2;
    else if (c >= 0xE0 && c <= 0xEF) need = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4) need = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else return 0;
    if (n < need || s[1] < lo || s[1] > hi) return 0;
    for (size_t k = 2; k < need; k++)
        if ((s[k] & 0xC0) != 0x80) return 0;
    return need;
}

/* Writes code point cp (a scalar value, at most U+10FFFF) as UTF-8 to o; returns the byte count. */
static inline size_t pab_json_put_utf8_(char *o, unsigned cp) {
    static const unsigned char lead[] = {0, 0, 0xC0, 0xE0, 0xF0};
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (n == 1) return o[0] = (char)cp, 1;
    for (size_t k = n - 1; k > 0; k--, cp >>= 6) o[k] = (char)(0x80 | (cp & 0x3F));
    o[0] = (char)(lead[n] | cp);
    return n;
}

/* One escape after its backslash (r->i is past it); appends its UTF-8 to o at *w. */
static inline int pab_json_escape_(pab_json_reader_ *r, char *o, size_t *w) {
    if (r->i >= r->n) return pab_json_fail_(r, "unterminated string", NULL);
    char e = r->s[r->i++];
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
    const char *hit = e ? strchr(from, e) : NULL;
    if (hit) return o[(*w)++] = to[hit - from], 0;
    if (e != 'u') return r->i--, pab_json_fail_(r, "unknown escape", NULL);
    unsigned cp, lo;
    if (pab_json_hex4_(r, &cp) != 0) return -1;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return pab_json_fail_(r, "lone low surrogate in \\u escape", NULL);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (r->n - r->i < 2 || r->s[r->i] != '\\' || r->s[r->i + 1] != 'u')
            return pab_json_fail_(r, "lone high surrogate in \\u escape", NULL);
        r->i += 2;
        if (pab_json_hex4_(r, &lo) != 0) return -1;
        if (lo < 0xDC00 || lo > 0xDFFF) return pab_json_fail_(r, "high surrogate not followed by a low one", NULL);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (cp == 0 && !(r->flags & PAB_JSON_ALLOW_NUL)) return pab_json_fail_(r, "\\u0000 is not allowed", NULL);
    *w += pab_json_put_utf8_(o + *w, cp);
    return 0;
}

/* r->i is at the opening quote. The unescaped text is never longer than its escaped form, so one
 * allocation of the escaped length suffices. */
static inline int pab_json_string_(pab_json_reader_ *r, char **out, size_t *out_len) {
    size_t end = ++r->i;
    while (end < r->n && r->s[end] != '"') end += r->s[end] == '\\' ? 2 : 1;
    if (end >= r->n) return pab_json_fail_(r, "unterminated string", NULL);
    char *o = (char *)malloc(end - r->i + 1);
    if (!o) return pab_json_fail_(r, "out of memory", NULL);
    size_t w = 0;
    while (r->s[r->i] != '"') {
        unsigned char c = (unsigned char)r->s[r->i];
        size_t len;
        if (c < 0x20) {
            free(o);
            return pab_json_fail_(r, "control character in string", NULL);
        }
        if (c == '\\') {
            r->i++;
            if (pab_json_escape_(r, o, &w) != 0) return free(o), -1;
            continue;
        }
        if ((len = pab_json_utf8_len_((const unsigned char *)r->s + r->i, end - r->i)) == 0) {
            free(o);
            return pab_json_fail_(r, "invalid UTF-8 in string", NULL);
        }
        memcpy(o + w, r->s + r->i, len);
        w += len;
        r->i += len;
    }
    r->i++; /* closing quote */
    o[w] = '\0';
    *out = o;
    *out_len = w;
    return 0;
}

static inline int pab_json_digit_(const pab_json_reader_ *r) {
    return r->i < r->n && r->s[r->i] >= '0' && r->s[r->i] <= '9';
}

/* RFC 8259 number grammar. The value: up to 19 significant digits in an integer, then one scaling by a
 * power of ten (exact up to 1e22), so "0.1" and "1.5e-6" come out as the nearest double in practice. */
static inline int pab_json_number_(pab_json_reader_ *r, pab_json *v) {
    uint64_t mant = 0;
    int digits = 0, exp10 = 0, neg = 0;
    v->type = PAB_JSON_NUMBER;
    v->is_integer = 1;
    if (r->i < r->n && r->s[r->i] == '-') neg = 1, r->i++;
    if (!pab_json_digit_(r)) return pab_json_fail_(r, "bad number", NULL);
    if (r->s[r->i] == '0') r->i++; /* "0" alone: a following digit ends the number (and fails later) */
    else
        for (; pab_json_digit_(r); r->i++)
            if (digits < 19) mant = mant * 10 + (uint64_t)(r->s[r->i] - '0'), digits += mant != 0;
            else exp10++;
    if (r->i < r->n && r->s[r->i] == '.') {
        r->i++;
        v->is_integer = 0;
        if (!pab_json_digit_(r)) return pab_json_fail_(r, "bad fraction", NULL);
        for (; pab_json_digit_(r); r->i++)
            if (digits < 19) mant = mant * 10 + (uint64_t)(r->s[r->i] - '0'), digits += mant != 0, exp10--;
    }
    if (r->i < r->n && (r->s[r->i] == 'e' || r->s[r->i] == 'E')) {
        int eneg = 0, e = 0;
        r->i++;
        v->is_integer = 0;
        if (r->i < r->n && (r->s[r->i] == '+' || r->s[r->i] == '-')) eneg = r->s[r->i++] == '-';
        if (!pab_json_digit_(r)) return pab_json_fail_(r, "bad exponent", NULL);
        for (; pab_json_digit_(r); r->i++)
            if (e < 100000) e = e * 10 + (r->s[r->i] - '0');
        exp10 += eneg ? -e : e;
    }
    double scale = 1.0, value = (double)mant;
    int ae = exp10 < 0 ? -exp10 : exp10;
    for (int k = 0; k < ae && k < 400; k++) scale *= 10.0; /* beyond 1e400 the result is 0 or infinite */
    if (mant != 0) value = exp10 < 0 ? value / scale : value * scale;
    v->number = neg ? -value : value;
    return 0;
}

static inline int pab_json_value_(pab_json_reader_ *r, pab_json *v, int depth);

/* Appends one zeroed slot (and a key slot for objects); keys/items stay paired so free() is exact. */
static inline pab_json *pab_json_grow_(pab_json_reader_ *r, pab_json *v, size_t *cap, int object) {
    if (v->count == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        pab_json *items = (pab_json *)realloc(v->items, nc * sizeof *items);
        if (items) v->items = items;
        if (items && object) {
            char **keys = (char **)realloc(v->keys, nc * sizeof *keys);
            if (keys) v->keys = keys;
            size_t *lens = (size_t *)realloc(v->key_lens, nc * sizeof *lens);
            if (lens) v->key_lens = lens;
            if (!keys || !lens) items = NULL;
        }
        if (!items) return pab_json_fail_(r, "out of memory", NULL), (pab_json *)NULL;
        *cap = nc;
    }
    memset(&v->items[v->count], 0, sizeof v->items[0]);
    if (object) v->keys[v->count] = NULL, v->key_lens[v->count] = 0;
    return &v->items[v->count++];
}

static inline int pab_json_container_(pab_json_reader_ *r, pab_json *v, int depth, int object) {
    const char close = object ? '}' : ']';
    size_t cap = 0;
    if (depth >= PAB_JSON_MAX_DEPTH) return pab_json_fail_(r, "nesting too deep", NULL);
    v->type = object ? PAB_JSON_OBJECT : PAB_JSON_ARRAY;
    r->i++;
    pab_json_ws_(r);
    if (r->i < r->n && r->s[r->i] == close) return r->i++, 0;
    for (;;) {
        char *key = NULL;
        size_t key_len = 0;
        pab_json_ws_(r);
        if (object) {
            if (r->i >= r->n || r->s[r->i] != '"') return pab_json_fail_(r, "expected a string key", NULL);
            size_t at = r->i;
            if (pab_json_string_(r, &key, &key_len) != 0) return -1;
            for (size_t k = 0; k < v->count; k++)
                if (v->key_lens[k] == key_len && memcmp(v->keys[k], key, key_len) == 0) {
                    r->i = at;
                    pab_json_fail_(r, "duplicate key", key);
                    return free(key), -1;
                }
            pab_json_ws_(r);
            if (r->i >= r->n || r->s[r->i] != ':') return free(key), pab_json_fail_(r, "expected ':'", NULL);
            r->i++;
        }
        pab_json *slot = pab_json_grow_(r, v, &cap, object);
        if (!slot) return free(key), -1;
        if (object) v->keys[v->count - 1] = key, v->key_lens[v->count - 1] = key_len;
        if (pab_json_value_(r, slot, depth + 1) != 0) return -1;
        pab_json_ws_(r);
        if (r->i < r->n && r->s[r->i] == ',') {
            r->i++;
            continue;
        }
        if (r->i < r->n && r->s[r->i] == close) return r->i++, 0;
        return pab_json_fail_(r, object ? "expected ',' or '}'" : "expected ',' or ']'", NULL);
    }
}

static inline int pab_json_literal_(pab_json_reader_ *r, const char *word) {
    size_t len = strlen(word);
    if (r->n - r->i < len || memcmp(r->s + r->i, word, len) != 0)
        return pab_json_fail_(r, "unexpected character", NULL);
    r->i += len;
    return 0;
}

static inline int pab_json_value_(pab_json_reader_ *r, pab_json *v, int depth) {
    pab_json_ws_(r);
    if (r->i >= r->n) return pab_json_fail_(r, "unexpected end of input", NULL);
    switch (r->s[r->i]) {
    case '{': return pab_json_container_(r, v, depth, 1);
    case '[': return pab_json_container_(r, v, depth, 0);
    case '"': v->type = PAB_JSON_STRING; return pab_json_string_(r, &v->str, &v->str_len);
    case 't': v->type = PAB_JSON_BOOL; v->boolean = 1; return pab_json_literal_(r, "true");
    case 'f': v->type = PAB_JSON_BOOL; return pab_json_literal_(r, "false");
    case 'n': v->type = PAB_JSON_NULL; return pab_json_literal_(r, "null");
    default:
        if (r->s[r->i] == '-' || (r->s[r->i] >= '0' && r->s[r->i] <= '9')) return pab_json_number_(r, v);
        return pab_json_fail_(r, "unexpected character", NULL);
    }
}

/* Parses text[0, n) into *out (see OWNERSHIP above). flags: 0 or PAB_JSON_ALLOW_NUL. Returns 0, or -1
 * with *error filled (offset and message) and *out empty. */
static inline int pab_json_parse(const char *text, size_t n, unsigned flags, pab_json *out, pab_json_error *error) {
    pab_json_reader_ r = {text, n, 0, flags, error};
    memset(out, 0, sizeof *out);
    error->offset = 0;
    error->message[0] = '\0';
    if (pab_json_value_(&r, out, 0) == 0) {
        pab_json_ws_(&r);
        if (r.i == n) return 0;
        pab_json_fail_(&r, "data after the value", NULL);
    }
    pab_json_free(out);
    return -1;
}

/* ------------------------------------------------------------------------------------------ lookups */

/* The member `key` of an object (keys are unique), or NULL (also when obj is NULL or not an object). */
static inline const pab_json *pab_json_get(const pab_json *obj, const char *key) {
    if (!obj || obj->type != PAB_JSON_OBJECT) return NULL;
    size_t n = strlen(key);
    for (size_t k = 0; k < obj->count; k++)
        if (obj->key_lens[k] == n && memcmp(obj->keys[k], key, n) == 0) return &obj->items[k];
    return NULL;
}

/* "null", "a boolean", "a number", "a string", "an array", "an object": for messages. */
static inline const char *pab_json_type_name(int type) {
    static const char *const names[] = {"null", "a boolean", "a number", "a string", "an array", "an object"};
    return type >= 0 && type <= PAB_JSON_OBJECT ? names[type] : "an unknown type";
}

/* A NUMBER with an integral value in [min, max] ("42", "42.0" and "4.2e1" all count). 0, or -1 when v
 * is NULL, not a number, not integral or out of range. */
static inline int pab_json_int(const pab_json *v, int64_t min, int64_t max, int64_t *out) {
    if (!v || v->type != PAB_JSON_NUMBER) return -1;
    double d = v->number;
    /* The first test keeps the cast defined: (double)INT64_MAX rounds up to 2^63. */
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return -1;
    if (!(d >= (double)min && d <= (double)max) || (double)(int64_t)d != d) return -1;
    int64_t i = (int64_t)d;
    if (i < min || i > max) return -1;
    *out = i;
    return 0;
}

/* The pab_json_get_* getters: member `key` of obj with one type. null counts as MISSING (so that a
 * caller's default stays); *out is written only on PAB_JSON_OK. */
static inline const pab_json *pab_json_member_(const pab_json *obj, const char *key, int *rc) {
    const pab_json *v = pab_json_get(obj, key);
    *rc = !v || v->type == PAB_JSON_NULL ? PAB_JSON_MISSING : PAB_JSON_OK;
    return *rc == PAB_JSON_OK ? v : NULL;
}

static inline int pab_json_get_bool(const pab_json *obj, const char *key, int *out) {
    int rc;
    const pab_json *v = pab_json_member_(obj, key, &rc);
    if (rc != PAB_JSON_OK) return rc;
    if (v->type != PAB_JSON_BOOL) return PAB_JSON_WRONG_TYPE;
    *out = v->boolean;
    return PAB_JSON_OK;
}

static inline int pab_json_get_number(const pab_json *obj, const char *key, double *out) {
    int rc;
    const pab_json *v = pab_json_member_(obj, key, &rc);
    if (rc != PAB_JSON_OK) return rc;
    if (v->type != PAB_JSON_NUMBER) return PAB_JSON_WRONG_TYPE;
    *out = v->number;
    return PAB_JSON_OK;
}

/* An integral number in [min, max] (see pab_json_int); anything else is WRONG_TYPE. */
static inline int pab_json_get_int(const pab_json *obj, const char *key, int64_t min, int64_t max, int64_t *out) {
    int rc;
    const pab_json *v = pab_json_member_(obj, key, &rc);
    if (rc != PAB_JSON_OK) return rc;
    return pab_json_int(v, min, max, out) == 0 ? PAB_JSON_OK : PAB_JSON_WRONG_TYPE;
}

/* A string: *out points into the tree (NUL-terminated), *out_len (optional) gets its byte length. */
static inline int pab_json_get_string(const pab_json *obj, const char *key, const char **out, size_t *out_len) {
    int rc;
    const pab_json *v = pab_json_member_(obj, key, &rc);
    if (rc != PAB_JSON_OK) return rc;
    if (v->type != PAB_JSON_STRING) return PAB_JSON_WRONG_TYPE;
    *out = v->str;
    if (out_len) *out_len = v->str_len;
    return PAB_JSON_OK;
}

/* An array whose elements are all strings (possibly empty): *out is the array value (items[k].str). */
static inline int pab_json_get_strings(const pab_json *obj, const char *key, const pab_json **out) {
    int rc;
    const pab_json *v = pab_json_member_(obj, key, &rc);
    if (rc != PAB_JSON_OK) return rc;
    if (v->type != PAB_JSON_ARRAY) return PAB_JSON_WRONG_TYPE;
    for (size_t k = 0; k < v->count; k++)
        if (v->items[k].type != PAB_JSON_STRING) return PAB_JSON_WRONG_TYPE;
    *out = v;
    return PAB_JSON_OK;
}

/* The first member name of obj that is not in allowed[0, count), or NULL when all are known (or obj is
 * not an object). Catches typos such as "keyword" for "keywords". The result points into the tree. */
static inline const char *pab_json_unknown_key(const pab_json *obj, const char *const *allowed, size_t count) {
    if (!obj || obj->type != PAB_JSON_OBJECT) return NULL;
    for (size_t k = 0; k < obj->count; k++) {
        size_t a = 0, n = obj->key_lens[k];
        while (a < count && !(strlen(allowed[a]) == n && memcmp(allowed[a], obj->keys[k], n) == 0)) a++;
        if (a == count) return obj->keys[k];
    }
    return NULL;
}

#endif /* PAB_JSON_H */
