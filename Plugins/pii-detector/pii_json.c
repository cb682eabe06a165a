/*
 * pii_json.c: see pii_json.h. Recursive descent with a depth limit; every error names its byte offset.
 */
#include "pii_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct reader {
    const char *p;
    const char *start;
    const char *end;
    char *err;
    size_t err_cap;
    int failed;
} reader;

static int fail(reader *r, const char *fmt, ...) {
    if (!r->failed) {
        r->failed = 1;
        int n = snprintf(r->err, r->err_cap, "offset %zu: ", (size_t)(r->p - r->start));
        if (n >= 0 && (size_t)n < r->err_cap) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(r->err + n, r->err_cap - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

static void skip_ws(reader *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) r->p++;
}

static int hex4(reader *r, unsigned *out) {
    if (r->end - r->p < 4) return fail(r, "truncated \\u escape");
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = r->p[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return fail(r, "bad hex digit in \\u escape");
    }
    r->p += 4;
    *out = v;
    return 0;
}

static void put_utf8(char *o, size_t *n, unsigned cp) {
    if (cp < 0x80) {
        o[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        o[(*n)++] = (char)(0xC0 | (cp >> 6));
        o[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        o[(*n)++] = (char)(0xE0 | (cp >> 12));
        o[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        o[(*n)++] = (char)(0xF0 | (cp >> 18));
        o[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

/* Length of a valid UTF-8 sequence at p, or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end) {
    unsigned char c = p[0];
    size_t n;
    unsigned cp;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
    else return 0;
    if ((size_t)(end - p) < n) return 0;
    for (size_t k = 1; k < n; k++) {
        if ((p[k] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[k] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

/* At the opening quote. Unescaped output is never longer than the escaped input. */
static int parse_string(reader *r, char **out, size_t *out_len) {
    r->p++;
    const char *s = r->p;
    while (r->p < r->end && *r->p != '"') {
        if (*r->p == '\\') r->p++;
        r->p++;
    }
    if (r->p >= r->end) return fail(r, "unterminated string");
    size_t cap = (size_t)(r->p - s);
    char *o = malloc(cap + 1);
    if (o == NULL) return fail(r, "out of memory");
    size_t n = 0;
    r->p = s;
    while (*r->p != '"') {
        unsigned char c = (unsigned char)*r->p;
        if (c < 0x20) {
            free(o);
            return fail(r, "control character in string (escape it)");
        }
        if (c != '\\') {
            size_t u = utf8_len((const unsigned char *)r->p, (const unsigned char *)r->end);
            if (u == 0) {
                free(o);
                return fail(r, "invalid UTF-8 in string");
            }
            memcpy(o + n, r->p, u);
            n += u;
            r->p += u;
            continue;
        }
        r->p++;
        char e = *r->p++;
        switch (e) {
        case '"': o[n++] = '"'; break;
        case '\\': o[n++] = '\\'; break;
        case '/': o[n++] = '/'; break;
        case 'b': o[n++] = '\b'; break;
        case 'f': o[n++] = '\f'; break;
        case 'n': o[n++] = '\n'; break;
        case 'r': o[n++] = '\r'; break;
        case 't': o[n++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (hex4(r, &cp) != 0) {
                free(o);
                return -1;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u') {
                    free(o);
                    return fail(r, "high surrogate without a low surrogate");
                }
                r->p += 2;
                if (hex4(r, &lo) != 0) {
                    free(o);
                    return -1;
                }
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    free(o);
                    return fail(r, "invalid low surrogate");
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                free(o);
                return fail(r, "lone low surrogate");
            }
            put_utf8(o, &n, cp);
            break;
        }
        default:
            free(o);
            r->p--;
            return fail(r, "invalid escape \\%c", e);
        }
    }
    r->p++;
    o[n] = '\0';
    *out = o;
    *out_len = n;
    return 0;
}

static int parse_number(reader *r, pii_json *v) {
    const char *p = r->p;
    int neg = 0, integer = 1;
    double mant = 0;
    int exp10 = 0;
    if (p < r->end && *p == '-') {
        neg = 1;
        p++;
    }
    if (p >= r->end || *p < '0' || *p > '9') return fail(r, "invalid number");
    if (*p == '0') {
        p++;
        if (p < r->end && *p >= '0' && *p <= '9') return fail(r, "leading zero in number");
    } else {
        while (p < r->end && *p >= '0' && *p <= '9') mant = mant * 10 + (*p++ - '0');
    }
    if (p < r->end && *p == '.') {
        integer = 0;
        p++;
        if (p >= r->end || *p < '0' || *p > '9') return fail(r, "digit expected after '.'");
        while (p < r->end && *p >= '0' && *p <= '9') {
            mant = mant * 10 + (*p++ - '0');
            exp10--;
        }
    }
    if (p < r->end && (*p == 'e' || *p == 'E')) {
        integer = 0;
        p++;
        int eneg = 0, e = 0;
        if (p < r->end && (*p == '+' || *p == '-')) eneg = *p++ == '-';
        if (p >= r->end || *p < '0' || *p > '9') return fail(r, "digit expected in exponent");
        while (p < r->end && *p >= '0' && *p <= '9') {
            if (e < 10000) e = e * 10 + (*p - '0');
            p++;
        }
        exp10 += eneg ? -e : e;
    }
    double scale = 1;
    int ae = exp10 < 0 ? -exp10 : exp10;
    for (int k = 0; k < ae && k < 400; k++) scale *= 10;
    double val = exp10 < 0 ? mant / scale : mant * scale;
    v->type = PII_JSON_NUMBER;
    v->number = neg ? -val : val;
    v->is_integer = integer;
    r->p = p;
    return 0;
}

static int parse_value(reader *r, pii_json *v, int depth);

static int push(reader *r, pii_json **items, size_t *n, size_t *cap) {
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        pii_json *ni = realloc(*items, nc * sizeof *ni);
        if (ni == NULL) return fail(r, "out of memory");
        *items = ni;
        *cap = nc;
    }
    memset(&(*items)[*n], 0, sizeof **items);
    (*n)++;
    return 0;
}

static int parse_container(reader *r, pii_json *v, int depth, int object) {
    if (depth >= MAX_DEPTH) return fail(r, "nested deeper than %d levels", MAX_DEPTH);
    char close = object ? '}' : ']';
    r->p++;
    v->type = object ? PII_JSON_OBJECT : PII_JSON_ARRAY;
    size_t cap = 0, kcap = 0;
    skip_ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return 0;
    }
    for (;;) {
        skip_ws(r);
        if (object) {
            if (r->p >= r->end || *r->p != '"') return fail(r, "expected a string key in object");
            char *key;
            size_t klen;
            if (parse_string(r, &key, &klen) != 0) return -1;
            for (size_t k = 0; k < v->count; k++) {
                if (v->key_lens[k] == klen && memcmp(v->keys[k], key, klen) == 0) {
                    free(key);
                    return fail(r, "duplicate key \"%s\"", v->keys[k]);
                }
            }
            if (v->count == kcap) {
                size_t nc = kcap ? kcap * 2 : 4;
                char **nk = realloc(v->keys, nc * sizeof *nk);
                if (nk != NULL) v->keys = nk;
                size_t *nl = realloc(v->key_lens, nc * sizeof *nl);
                if (nl != NULL) v->key_lens = nl;
                if (nk == NULL || nl == NULL) {
                    free(key);
                    return fail(r, "out of memory");
                }
                kcap = nc;
            }
            v->keys[v->count] = key;
            v->key_lens[v->count] = klen;
            skip_ws(r);
            if (r->p >= r->end || *r->p != ':') {
                if (push(r, &v->items, &v->count, &cap) != 0) return -1; /* keep keys/items paired for free */
                return fail(r, "expected ':' after an object key");
            }
            r->p++;
        }
        if (push(r, &v->items, &v->count, &cap) != 0) return -1;
        if (parse_value(r, &v->items[v->count - 1], depth + 1) != 0) return -1;
        skip_ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return 0;
        }
        return fail(r, object ? "expected ',' or '}' in object" : "expected ',' or ']' in array");
    }
}

static int literal(reader *r, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0) return 0;
    r->p += n;
    return 1;
}

static int parse_value(reader *r, pii_json *v, int depth) {
    skip_ws(r);
    if (r->p >= r->end) return fail(r, "unexpected end of input");
    switch (*r->p) {
    case '{': return parse_container(r, v, depth, 1);
    case '[': return parse_container(r, v, depth, 0);
    case '"':
        v->type = PII_JSON_STRING;
        return parse_string(r, &v->str, &v->str_len);
    case 't':
    case 'f':
    case 'n':
        if (literal(r, "true")) {
            v->type = PII_JSON_BOOL;
            v->boolean = 1;
        } else if (literal(r, "false")) {
            v->type = PII_JSON_BOOL;
        } else if (literal(r, "null")) {
            v->type = PII_JSON_NULL;
        } else {
            return fail(r, "invalid literal");
        }
        return 0;
    default:
        if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')) return parse_number(r, v);
        return fail(r, "unexpected character '%c'", *r->p);
    }
}

int pii_json_parse(const char *text, size_t len, pii_json *out, char *err, size_t err_cap) {
    reader r = {text, text, text + len, err, err_cap, 0};
    memset(out, 0, sizeof *out);
    if (err_cap > 0) err[0] = '\0';
    if (parse_value(&r, out, 0) == 0) {
        skip_ws(&r);
        if (r.p == r.end) return 0;
        fail(&r, "unexpected data after the JSON value");
    }
    pii_json_free(out);
    return -1;
}

void pii_json_free(pii_json *v) {
    if (v == NULL) return;
    free(v->str);
    for (size_t k = 0; k < v->count; k++) {
        if (v->items != NULL) pii_json_free(&v->items[k]);
        if (v->keys != NULL) free(v->keys[k]);
    }
    free(v->items);
    free(v->keys);
    free(v->key_lens);
    memset(v, 0, sizeof *v);
}

const pii_json *pii_json_get(const pii_json *obj, const char *key) {
    if (obj == NULL || obj->type != PII_JSON_OBJECT) return NULL;
    size_t n = strlen(key);
    for (size_t k = 0; k < obj->count; k++) {
        if (obj->key_lens[k] == n && memcmp(obj->keys[k], key, n) == 0) return &obj->items[k];
    }
    return NULL;
}

const char *pii_json_type_name(uint32_t type) {
    switch (type) {
    case PII_JSON_NULL: return "null";
    case PII_JSON_BOOL: return "a boolean";
    case PII_JSON_NUMBER: return "a number";
    case PII_JSON_STRING: return "a string";
    case PII_JSON_ARRAY: return "an array";
    default: return "an object";
    }
}

/* ------------------------------------------------------------------------------- tree-less lookup */

/* Skips one value at r->p without allocating. */
static int skip_value(reader *r, int depth) {
    skip_ws(r);
    if (r->p >= r->end) return -1;
    char c = *r->p;
    if (c == '"') {
        r->p++;
        while (r->p < r->end && *r->p != '"') {
            /* A backslash as the last byte: stepping over "its" escaped byte would point past the end. */
            if (*r->p == '\\' && r->end - r->p > 1) r->p++;
            r->p++;
        }
        if (r->p >= r->end) return -1;
        r->p++;
        return 0;
    }
    if (c == '{' || c == '[') {
        if (depth >= MAX_DEPTH) return -1;
        char close = c == '{' ? '}' : ']';
        r->p++;
        skip_ws(r);
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return 0;
        }
        for (;;) {
            if (c == '{') {
                if (skip_value(r, depth + 1) != 0) return -1;
                skip_ws(r);
                if (r->p >= r->end || *r->p != ':') return -1;
                r->p++;
            }
            if (skip_value(r, depth + 1) != 0) return -1;
            skip_ws(r);
            if (r->p < r->end && *r->p == ',') {
                r->p++;
                continue;
            }
            if (r->p < r->end && *r->p == close) {
                r->p++;
                return 0;
            }
            return -1;
        }
    }
    /* number or literal */
    while (r->p < r->end && *r->p != ',' && *r->p != '}' && *r->p != ']' && *r->p != ' ' && *r->p != '\n' &&
           *r->p != '\r' && *r->p != '\t') {
        r->p++;
    }
    return 0;
}

int pii_json_top_level_string(const char *text, size_t len, const char *key, const char **out, size_t *out_len) {
    char dummy[8];
    reader r = {text, text, text + len, dummy, sizeof dummy, 0};
    size_t klen = strlen(key);
    skip_ws(&r);
    if (r.p >= r.end || *r.p != '{') return 0;
    r.p++;
    for (;;) {
        skip_ws(&r);
        if (r.p >= r.end || *r.p != '"') return 0;
        const char *ks = r.p + 1;
        if (skip_value(&r, 1) != 0) return 0;
        const char *ke = r.p - 1;
        skip_ws(&r);
        if (r.p >= r.end || *r.p != ':') return 0;
        r.p++;
        skip_ws(&r);
        if ((size_t)(ke - ks) == klen && memcmp(ks, key, klen) == 0) {
            if (r.p >= r.end || *r.p != '"') return 0;
            const char *vs = r.p + 1, *ve = vs;
            while (ve < r.end && *ve != '"') {
                if (*ve == '\\') return 0;
                ve++;
            }
            if (ve >= r.end) return 0;
            *out = vs;
            *out_len = (size_t)(ve - vs);
            return 1;
        }
        if (skip_value(&r, 1) != 0) return 0;
        skip_ws(&r);
        if (r.p < r.end && *r.p == ',') {
            r.p++;
            continue;
        }
        return 0;
    }
}
