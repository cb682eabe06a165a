/*
 * pii_json.c: see pii_json.h. The full reader is the plugins' shared Plugins/common/pab_json.h; this file
 * keeps only the allocation-free peek the stream hook does on every event.
 */
#include "pii_json.h"

#include <string.h>

#define MAX_DEPTH 64

typedef struct reader {
    const char *p;
    const char *end;
} reader;

static void skip_ws(reader *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) r->p++;
}

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
    reader r = {text, text + len};
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
