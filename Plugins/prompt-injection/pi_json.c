/* pi_json.c: recursive-descent JSON parser with a depth limit. */
#include "pi_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

typedef struct parser {
    const char *s;
    size_t n, i;
    char *err;
    size_t cap;
    int failed;
} parser;

static void fail(parser *p, const char *what) {
    if (!p->failed) snprintf(p->err, p->cap, "invalid JSON at byte %zu: %s", p->i, what);
    p->failed = 1;
}

static void skip_ws(parser *p) {
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static void free_value(pj_value *v) {
    if (v->type == PJ_STRING) free(v->str);
    if (v->type == PJ_ARRAY) {
        for (size_t i = 0; i < v->count; i++) free_value(&v->items[i]);
        free(v->items);
    }
    if (v->type == PJ_OBJECT) {
        for (size_t i = 0; i < v->count; i++) {
            free(v->members[i].key);
            free_value(&v->members[i].value);
        }
        free(v->members);
    }
    memset(v, 0, sizeof(*v));
}

static int hex4(parser *p, unsigned *out) {
    if (p->i + 4 > p->n) return -1;
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p->s[p->i + (size_t)k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    p->i += 4;
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* p->i is at the opening quote. */
static char *parse_string(parser *p, size_t *len_out) {
    p->i++;
    /* The unescaped string is never longer than its escaped form. */
    size_t start = p->i;
    size_t end = start;
    while (end < p->n && p->s[end] != '"') end += (p->s[end] == '\\') ? 2 : 1;
    if (end >= p->n) {
        fail(p, "unterminated string");
        return NULL;
    }
    char *out = malloc(end - start + 1);
    if (out == NULL) {
        fail(p, "out of memory");
        return NULL;
    }
    size_t w = 0;
    while (p->i < p->n && p->s[p->i] != '"') {
        unsigned char c = (unsigned char)p->s[p->i];
        if (c < 0x20) {
            fail(p, "control character in string");
            goto bad;
        }
        if (c != '\\') {
            out[w++] = (char)c;
            p->i++;
            continue;
        }
        p->i++;
        if (p->i >= p->n) break;
        char e = p->s[p->i++];
        switch (e) {
        case '"': out[w++] = '"'; break;
        case '\\': out[w++] = '\\'; break;
        case '/': out[w++] = '/'; break;
        case 'b': out[w++] = '\b'; break;
        case 'f': out[w++] = '\f'; break;
        case 'n': out[w++] = '\n'; break;
        case 'r': out[w++] = '\r'; break;
        case 't': out[w++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (hex4(p, &cp) != 0) {
                fail(p, "bad \\u escape");
                goto bad;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (p->i + 2 > p->n || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u') {
                    fail(p, "unpaired surrogate");
                    goto bad;
                }
                p->i += 2;
                if (hex4(p, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
                    fail(p, "unpaired surrogate");
                    goto bad;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                fail(p, "unpaired surrogate");
                goto bad;
            }
            if (cp == 0) {
                fail(p, "\\u0000 is not allowed in config strings");
                goto bad;
            }
            w += put_utf8(out + w, cp);
            break;
        }
        default: fail(p, "bad escape"); goto bad;
        }
    }
    if (p->i >= p->n) {
        fail(p, "unterminated string");
        goto bad;
    }
    p->i++; /* closing quote */
    out[w] = '\0';
    *len_out = w;
    return out;
bad:
    free(out);
    return NULL;
}

static int parse_value(parser *p, pj_value *v, int depth);

static int parse_number(parser *p, pj_value *v) {
    size_t s = p->i;
    if (p->i < p->n && p->s[p->i] == '-') p->i++;
    if (p->i >= p->n) goto bad;
    if (p->s[p->i] == '0') {
        p->i++;
    } else if (p->s[p->i] >= '1' && p->s[p->i] <= '9') {
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    } else {
        goto bad;
    }
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') goto bad;
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') goto bad;
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    }
    char buf[64];
    size_t len = p->i - s;
    if (len >= sizeof(buf)) goto bad;
    memcpy(buf, p->s + s, len);
    buf[len] = '\0';
    v->type = PJ_NUMBER;
    v->number = strtod(buf, NULL);
    if (!isfinite(v->number)) goto bad;
    return 0;
bad:
    fail(p, "bad number");
    return -1;
}

static int literal(parser *p, const char *word) {
    size_t n = strlen(word);
    if (p->i + n > p->n || memcmp(p->s + p->i, word, n) != 0) {
        fail(p, "unexpected character");
        return -1;
    }
    p->i += n;
    return 0;
}

static int parse_array(parser *p, pj_value *v, int depth) {
    v->type = PJ_ARRAY;
    p->i++;
    size_t cap = 0;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == ']') {
        p->i++;
        return 0;
    }
    for (;;) {
        if (v->count == cap) {
            cap = cap ? cap * 2 : 8;
            pj_value *items = realloc(v->items, cap * sizeof(pj_value));
            if (items == NULL) {
                fail(p, "out of memory");
                return -1;
            }
            v->items = items;
        }
        memset(&v->items[v->count], 0, sizeof(pj_value));
        v->count++;
        if (parse_value(p, &v->items[v->count - 1], depth + 1) != 0) return -1;
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == ']') {
            p->i++;
            return 0;
        }
        fail(p, "expected ',' or ']'");
        return -1;
    }
}

static int parse_object(parser *p, pj_value *v, int depth) {
    v->type = PJ_OBJECT;
    p->i++;
    size_t cap = 0;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == '}') {
        p->i++;
        return 0;
    }
    for (;;) {
        skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != '"') {
            fail(p, "expected a string key");
            return -1;
        }
        size_t klen;
        char *key = parse_string(p, &klen);
        if (key == NULL) return -1;
        for (size_t k = 0; k < v->count; k++) {
            if (strcmp(v->members[k].key, key) == 0) {
                free(key);
                fail(p, "duplicate key");
                return -1;
            }
        }
        if (v->count == cap) {
            cap = cap ? cap * 2 : 8;
            pj_member *m = realloc(v->members, cap * sizeof(pj_member));
            if (m == NULL) {
                free(key);
                fail(p, "out of memory");
                return -1;
            }
            v->members = m;
        }
        pj_member *m = &v->members[v->count++];
        memset(m, 0, sizeof(*m));
        m->key = key;
        skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != ':') {
            fail(p, "expected ':'");
            return -1;
        }
        p->i++;
        if (parse_value(p, &m->value, depth + 1) != 0) return -1;
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == '}') {
            p->i++;
            return 0;
        }
        fail(p, "expected ',' or '}'");
        return -1;
    }
}

static int parse_value(parser *p, pj_value *v, int depth) {
    if (depth > MAX_DEPTH) {
        fail(p, "nested too deeply");
        return -1;
    }
    skip_ws(p);
    if (p->i >= p->n) {
        fail(p, "unexpected end");
        return -1;
    }
    char c = p->s[p->i];
    switch (c) {
    case '{': return parse_object(p, v, depth);
    case '[': return parse_array(p, v, depth);
    case '"': {
        size_t len;
        char *s = parse_string(p, &len);
        if (s == NULL) return -1;
        v->type = PJ_STRING;
        v->str = s;
        v->str_len = len;
        return 0;
    }
    case 't': v->type = PJ_BOOL; v->boolean = 1; return literal(p, "true");
    case 'f': v->type = PJ_BOOL; v->boolean = 0; return literal(p, "false");
    case 'n': v->type = PJ_NULL; return literal(p, "null");
    default: return parse_number(p, v);
    }
}

int pj_parse(const char *text, size_t n, pj_doc *doc, char *err, size_t cap) {
    parser p = {text, n, 0, err, cap, 0};
    memset(doc, 0, sizeof(*doc));
    if (parse_value(&p, &doc->root, 0) == 0) {
        skip_ws(&p);
        if (p.i != p.n) fail(&p, "trailing characters");
    }
    if (p.failed) {
        free_value(&doc->root);
        return -1;
    }
    return 0;
}

void pj_free(pj_doc *doc) {
    if (doc) free_value(&doc->root);
}

const pj_value *pj_get(const pj_value *obj, const char *key) {
    if (obj == NULL || obj->type != PJ_OBJECT) return NULL;
    for (size_t i = 0; i < obj->count; i++) {
        if (strcmp(obj->members[i].key, key) == 0) return &obj->members[i].value;
    }
    return NULL;
}

const char *pj_type_name(int type) {
    switch (type) {
    case PJ_NULL: return "null";
    case PJ_BOOL: return "a boolean";
    case PJ_NUMBER: return "a number";
    case PJ_STRING: return "a string";
    case PJ_ARRAY: return "an array";
    default: return "an object";
    }
}
