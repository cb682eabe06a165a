/* al_json.c: strict recursive-descent JSON parser building a small tree. */
#include "al_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct parser {
    const char *s;
    size_t n, i;
    int depth;
    char *err;
    size_t err_cap;
    int failed;
} parser;

static int fail(parser *p, const char *what) {
    if (!p->failed) snprintf(p->err, p->err_cap, "invalid JSON at byte %zu: %s", p->i, what);
    p->failed = 1;
    return -1;
}

static void skip_ws(parser *p) {
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static void free_value(aj_value *v) {
    free(v->str);
    for (size_t k = 0; k < v->count; k++) {
        if (v->items) free_value(&v->items[k]);
        if (v->keys) free(v->keys[k]);
    }
    free(v->items);
    free(v->keys);
    memset(v, 0, sizeof *v);
}

static int hex4(parser *p, unsigned *out) {
    if (p->n - p->i < 4) return fail(p, "truncated \\u escape");
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p->s[p->i++];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return fail(p, "bad hex digit in \\u escape");
    }
    *out = v;
    return 0;
}

static void put_utf8(al_buf *b, unsigned cp) {
    char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    al_buf_add(b, out, n);
}

/* Length of a valid UTF-8 sequence starting at s[0] (RFC 3629), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) need = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 0;
    if (n < need || s[1] < lo || s[1] > hi) return 0;
    for (size_t k = 2; k < need; k++)
        if ((s[k] & 0xC0) != 0x80) return 0;
    return need;
}

/* Parses a string literal at p->i (which is '"') into a NUL-terminated copy. */
static int parse_string(parser *p, char **out, size_t *out_len) {
    al_buf b = {0};
    p->i++; /* opening quote */
    for (;;) {
        if (p->i >= p->n) {
            al_buf_free(&b);
            return fail(p, "unterminated string");
        }
        unsigned char c = (unsigned char)p->s[p->i];
        if (c == '"') {
            p->i++;
            break;
        }
        if (c < 0x20) {
            al_buf_free(&b);
            return fail(p, "control character in string");
        }
        if (c == '\\') {
            p->i++;
            if (p->i >= p->n) {
                al_buf_free(&b);
                return fail(p, "unterminated escape");
            }
            char e = p->s[p->i++];
            unsigned cp;
            switch (e) {
            case '"': al_buf_add_char(&b, '"'); break;
            case '\\': al_buf_add_char(&b, '\\'); break;
            case '/': al_buf_add_char(&b, '/'); break;
            case 'b': al_buf_add_char(&b, '\b'); break;
            case 'f': al_buf_add_char(&b, '\f'); break;
            case 'n': al_buf_add_char(&b, '\n'); break;
            case 'r': al_buf_add_char(&b, '\r'); break;
            case 't': al_buf_add_char(&b, '\t'); break;
            case 'u':
                if (hex4(p, &cp) != 0) {
                    al_buf_free(&b);
                    return -1;
                }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned low;
                    if (p->n - p->i < 2 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u') {
                        al_buf_free(&b);
                        return fail(p, "lone high surrogate in \\u escape");
                    }
                    p->i += 2;
                    if (hex4(p, &low) != 0) {
                        al_buf_free(&b);
                        return -1;
                    }
                    if (low < 0xDC00 || low > 0xDFFF) {
                        al_buf_free(&b);
                        return fail(p, "high surrogate not followed by a low one");
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    al_buf_free(&b);
                    return fail(p, "lone low surrogate in \\u escape");
                } else if (cp == 0) {
                    al_buf_free(&b);
                    return fail(p, "\\u0000 is not supported");
                }
                put_utf8(&b, cp);
                break;
            default: al_buf_free(&b); return fail(p, "unknown escape");
            }
            continue;
        }
        size_t len = utf8_len((const unsigned char *)p->s + p->i, p->n - p->i);
        if (len == 0) {
            al_buf_free(&b);
            return fail(p, "invalid UTF-8 in string");
        }
        al_buf_add(&b, p->s + p->i, len);
        p->i += len;
    }
    al_buf_add_char(&b, '\0');
    if (b.failed) {
        al_buf_free(&b);
        return fail(p, "out of memory");
    }
    *out = b.data;
    *out_len = b.len - 1;
    return 0;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int parse_number(parser *p, aj_value *v) {
    size_t start = p->i;
    if (p->i < p->n && p->s[p->i] == '-') p->i++;
    if (p->i >= p->n || !is_digit(p->s[p->i])) return fail(p, "bad number");
    if (p->s[p->i] == '0') p->i++;
    else
        while (p->i < p->n && is_digit(p->s[p->i])) p->i++;
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (p->i >= p->n || !is_digit(p->s[p->i])) return fail(p, "bad fraction");
        while (p->i < p->n && is_digit(p->s[p->i])) p->i++;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
        if (p->i >= p->n || !is_digit(p->s[p->i])) return fail(p, "bad exponent");
        while (p->i < p->n && is_digit(p->s[p->i])) p->i++;
    }
    v->type = AJ_NUMBER;
    v->raw = p->s + start;
    v->raw_len = p->i - start;
    return 0;
}

static int literal(parser *p, const char *word) {
    size_t len = strlen(word);
    if (p->n - p->i < len || memcmp(p->s + p->i, word, len) != 0) return fail(p, "unexpected character");
    p->i += len;
    return 0;
}

static int parse_value(parser *p, aj_value *v);

/* Appends one slot to a container's arrays. */
static aj_value *grow(parser *p, aj_value *v, size_t *cap, int with_keys) {
    if (v->count == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        aj_value *items = realloc(v->items, nc * sizeof *items);
        if (!items) {
            fail(p, "out of memory");
            return NULL;
        }
        v->items = items;
        if (with_keys) {
            char **keys = realloc(v->keys, nc * sizeof *keys);
            if (!keys) {
                fail(p, "out of memory");
                return NULL;
            }
            v->keys = keys;
        }
        *cap = nc;
    }
    aj_value *slot = &v->items[v->count];
    memset(slot, 0, sizeof *slot);
    if (with_keys) v->keys[v->count] = NULL;
    v->count++;
    return slot;
}

static int parse_container(parser *p, aj_value *v, int object) {
    if (++p->depth > MAX_DEPTH) return fail(p, "nesting too deep");
    v->type = object ? AJ_OBJECT : AJ_ARRAY;
    size_t cap = 0;
    p->i++; /* [ or { */
    skip_ws(p);
    char close = object ? '}' : ']';
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
        p->depth--;
        return 0;
    }
    for (;;) {
        skip_ws(p);
        char *key = NULL;
        size_t key_len;
        if (object) {
            if (p->i >= p->n || p->s[p->i] != '"') return fail(p, "expected a member name");
            if (parse_string(p, &key, &key_len) != 0) return -1;
            skip_ws(p);
            if (p->i >= p->n || p->s[p->i] != ':') {
                free(key);
                return fail(p, "expected ':'");
            }
            p->i++;
        }
        aj_value *slot = grow(p, v, &cap, object);
        if (!slot) {
            free(key);
            return -1;
        }
        if (object) v->keys[v->count - 1] = key;
        if (parse_value(p, slot) != 0) return -1;
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == close) {
            p->i++;
            p->depth--;
            return 0;
        }
        return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int parse_value(parser *p, aj_value *v) {
    skip_ws(p);
    if (p->i >= p->n) return fail(p, "unexpected end of input");
    switch (p->s[p->i]) {
    case '{': return parse_container(p, v, 1);
    case '[': return parse_container(p, v, 0);
    case '"':
        v->type = AJ_STRING;
        return parse_string(p, &v->str, &v->str_len);
    case 't':
        v->type = AJ_BOOL;
        v->boolean = 1;
        return literal(p, "true");
    case 'f':
        v->type = AJ_BOOL;
        return literal(p, "false");
    case 'n':
        v->type = AJ_NULL;
        return literal(p, "null");
    default: return parse_number(p, v);
    }
}

int aj_parse(const char *text, size_t n, aj_doc *doc, char *err, size_t err_cap) {
    memset(doc, 0, sizeof *doc);
    doc->text = malloc(n + 1);
    if (!doc->text) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    if (n) memcpy(doc->text, text, n);
    doc->text[n] = '\0';
    parser p = {doc->text, n, 0, 0, err, err_cap, 0};
    if (parse_value(&p, &doc->root) == 0) {
        skip_ws(&p);
        if (p.i == n) return 0;
        fail(&p, "data after the value");
    }
    aj_free(doc);
    return -1;
}

void aj_free(aj_doc *doc) {
    free_value(&doc->root);
    free(doc->text);
    doc->text = NULL;
}

const aj_value *aj_get(const aj_value *obj, const char *key) {
    if (!obj || obj->type != AJ_OBJECT) return NULL;
    for (size_t k = obj->count; k > 0; k--)
        if (strcmp(obj->keys[k - 1], key) == 0) return &obj->items[k - 1];
    return NULL;
}

const char *aj_type_name(int type) {
    switch (type) {
    case AJ_NULL: return "null";
    case AJ_BOOL: return "a boolean";
    case AJ_NUMBER: return "a number";
    case AJ_STRING: return "a string";
    case AJ_ARRAY: return "an array";
    default: return "an object";
    }
}

int aj_number_double(const aj_value *v, double *out) {
    if (!v || v->type != AJ_NUMBER) return -1;
    const char *s = v->raw, *end = v->raw + v->raw_len;
    int negative = 0;
    if (s < end && *s == '-') {
        negative = 1;
        s++;
    }
    /* Up to 19 significant digits in an integer, then a decimal exponent: exact enough for prices. */
    uint64_t mantissa = 0;
    int digits = 0, exponent = 0;
    for (; s < end && is_digit(*s); s++) {
        if (digits < 19) {
            mantissa = mantissa * 10 + (uint64_t)(*s - '0');
            if (mantissa) digits++;
        } else exponent++;
    }
    if (s < end && *s == '.') {
        for (s++; s < end && is_digit(*s); s++) {
            if (digits < 19) {
                mantissa = mantissa * 10 + (uint64_t)(*s - '0');
                if (mantissa) digits++;
                exponent--;
            }
        }
    }
    if (s < end && (*s == 'e' || *s == 'E')) {
        s++;
        int sign = 1, e = 0;
        if (*s == '+' || *s == '-') sign = *s++ == '-' ? -1 : 1;
        for (; s < end && is_digit(*s); s++)
            if (e < 100000) e = e * 10 + (*s - '0');
        exponent += sign * e;
    }
    /* Scale by powers of ten by hand: libc only, no libm. Beyond +-400 the value is 0 or infinite anyway. */
    double value = (double)mantissa;
    if (exponent > 400) exponent = 400;
    if (exponent < -400) exponent = -400;
    for (; exponent > 0; exponent--) value *= 10.0;
    for (; exponent < 0 && value != 0; exponent++) value /= 10.0;
    *out = negative ? -value : value;
    return 0;
}

int aj_number_int64(const aj_value *v, int64_t *out) {
    if (!v || v->type != AJ_NUMBER) return -1;
    const char *s = v->raw, *end = v->raw + v->raw_len;
    int negative = 0;
    if (*s == '-') {
        negative = 1;
        s++;
    }
    uint64_t value = 0;
    for (; s < end; s++) {
        if (!is_digit(*s)) return -1;
        uint64_t digit = (uint64_t)(*s - '0');
        if (value > (UINT64_C(9223372036854775807) - digit) / 10) return -1;
        value = value * 10 + digit;
    }
    *out = negative ? -(int64_t)value : (int64_t)value;
    return 0;
}

void aj_compact(const char *text, size_t n, al_buf *out) {
    int in_string = 0;
    size_t run = 0;
    for (size_t k = 0; k < n; k++) {
        char c = text[k];
        if (in_string) {
            if (c == '\\') k++; /* the escaped character cannot end the string */
            else if (c == '"') in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            al_buf_add(out, text + run, k - run);
            run = k + 1;
        }
    }
    al_buf_add(out, text + run, n - run);
}
