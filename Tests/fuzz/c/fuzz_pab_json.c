/*
 * fuzz_pab_json.c: the plugins' shared strict JSON reader, Plugins/common/pab_json.h, which every C plugin
 * now uses for its config (and some for the JSON attributes and stream events they read).
 *
 * Input: one document, parsed without and with PAB_JSON_ALLOW_NUL.
 * Checks, beyond the sanitizers and fuzz_pab_json.h's tree checks:
 *   - an accepted document is valid UTF-8 (the reader promises to validate it);
 *   - round trip: the tree written back as JSON (by this file's own writer) parses to the same tree:
 *     same types, keys, strings byte for byte, booleans, integer-ness, and numbers equal up to the last
 *     bits of precision (the reader documents "the nearest double in practice", and flushes values below
 *     1e-308 to 0). A reader that unescapes one thing and accepts another shows up here.
 */
#include <math.h>

#include "fuzz_pab_json.h"
#include "fuzz_util.h"
#include "mock_host.h" /* mh_buf, a growable byte string */

static void put(mh_buf *b, const char *s) { mh_buf_add(b, s, strlen(s)); }

static void write_string(mh_buf *b, const char *s, size_t n) {
    put(b, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            mh_buf_add(b, esc, 2);
        } else if (c < 0x20) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(b, esc);
        } else {
            mh_buf_add(b, &s[i], 1);
        }
    }
    put(b, "\"");
}

static void write_value(mh_buf *b, const pab_json *v) {
    char num[400];
    switch (v->type) {
    case PAB_JSON_NULL: put(b, "null"); break;
    case PAB_JSON_BOOL: put(b, v->boolean ? "true" : "false"); break;
    case PAB_JSON_NUMBER:
        if (isinf(v->number)) put(b, v->number > 0 ? "1e999" : "-1e999");
        else if (v->is_integer) snprintf(num, sizeof num, "%.0f", v->number), put(b, num);
        else snprintf(num, sizeof num, "%.17e", v->number), put(b, num);
        break;
    case PAB_JSON_STRING: write_string(b, v->str, v->str_len); break;
    default:
        put(b, v->type == PAB_JSON_ARRAY ? "[" : "{");
        for (size_t k = 0; k < v->count; k++) {
            if (k) put(b, ",");
            if (v->type == PAB_JSON_OBJECT) {
                write_string(b, v->keys[k], v->key_lens[k]);
                put(b, ":");
            }
            write_value(b, &v->items[k]);
        }
        put(b, v->type == PAB_JSON_ARRAY ? "]" : "}");
    }
}

static int same_number(double a, double b) {
    if (a == b) return 1;
    if (fabs(a) < 1e-300 && fabs(b) < 1e-300) return 1;
    return fabs(a - b) <= 1e-14 * fmax(fabs(a), fabs(b));
}

static void same_tree(const pab_json *a, const pab_json *b) {
    FZ_CHECK(a->type == b->type, "type %d became %d", a->type, b->type);
    FZ_CHECK(a->count == b->count, "count %zu became %zu", a->count, b->count);
    switch (a->type) {
    case PAB_JSON_BOOL: FZ_CHECK(a->boolean == b->boolean, "boolean changed"); break;
    case PAB_JSON_NUMBER:
        FZ_CHECK(a->is_integer == b->is_integer, "integer-ness changed");
        FZ_CHECK(same_number(a->number, b->number), "number %.17g became %.17g", a->number, b->number);
        break;
    case PAB_JSON_STRING:
        FZ_CHECK(a->str_len == b->str_len && memcmp(a->str, b->str, a->str_len) == 0, "string changed");
        break;
    case PAB_JSON_OBJECT:
        for (size_t k = 0; k < a->count; k++)
            FZ_CHECK(a->key_lens[k] == b->key_lens[k] && memcmp(a->keys[k], b->keys[k], a->key_lens[k]) == 0,
                     "key %zu changed", k);
        /* fall through: the member values */
    case PAB_JSON_ARRAY:
        for (size_t k = 0; k < a->count; k++) same_tree(&a->items[k], &b->items[k]);
        break;
    default: break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fz_dup(data, size);
    (void)fz_pab_json_check(text, size);
    pab_json root, again;
    pab_json_error e;
    if (pab_json_parse(text, size, PAB_JSON_ALLOW_NUL, &root, &e) == 0) {
        FZ_CHECK(fz_utf8_valid(data, size), "accepted a document that is not valid UTF-8");
        mh_buf out = {0};
        write_value(&out, &root);
        FZ_CHECK(pab_json_parse(out.p, out.n, PAB_JSON_ALLOW_NUL, &again, &e) == 0,
                 "the tree written back does not parse: %s at %zu in %.*s", e.message, e.offset, (int)out.n, out.p);
        same_tree(&root, &again);
        pab_json_free(&again);
        pab_json_free(&root);
        mh_buf_free(&out);
    }
    free(text);
    return 0;
}
