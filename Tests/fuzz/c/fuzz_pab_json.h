/*
 * fuzz_pab_json.h: checks of the plugins' shared JSON reader (Plugins/common/pab_json.h), for the targets
 * whose plugin reads its config with it. Header-only; include after fuzz_util.h.
 *
 * Beyond the sanitizers: a document valid without \u0000 stays valid when \u0000 is allowed; an error has
 * a message and an offset inside the text; every string and key is NUL-terminated at its length; every key
 * finds its own member (keys are unique); integers read in range stay in range; nesting stays in the limit.
 */
#ifndef FUZZ_PAB_JSON_H
#define FUZZ_PAB_JSON_H

#include "pab_json.h"

#include "fuzz_util.h"

static inline void fz_pab_json_walk(const pab_json *v, int depth) {
    FZ_CHECK(depth <= PAB_JSON_MAX_DEPTH, "tree deeper than the limit");
    FZ_CHECK(v->type >= PAB_JSON_NULL && v->type <= PAB_JSON_OBJECT, "unknown type %d", v->type);
    if (v->type == PAB_JSON_STRING) FZ_CHECK(v->str[v->str_len] == '\0', "string not terminated");
    if (v->type == PAB_JSON_NUMBER && v->is_integer && v->number > -9e15 && v->number < 9e15) {
        int64_t i = 0;
        FZ_CHECK(pab_json_int(v, INT64_MIN, INT64_MAX, &i) == 0 && (double)i == v->number, "integer not read back");
    }
    if (v->type == PAB_JSON_OBJECT)
        for (size_t k = 0; k < v->count; k++) {
            FZ_CHECK(v->keys[k][v->key_lens[k]] == '\0', "key not terminated");
            FZ_CHECK(strlen(v->keys[k]) != v->key_lens[k] || pab_json_get(v, v->keys[k]) == &v->items[k],
                     "a key does not find its own member (keys are unique)");
        }
    if (v->type == PAB_JSON_ARRAY || v->type == PAB_JSON_OBJECT)
        for (size_t k = 0; k < v->count; k++) fz_pab_json_walk(&v->items[k], depth + 1);
}

/* Parses text both ways and checks the trees; returns 1 when it is valid without PAB_JSON_ALLOW_NUL. */
static inline int fz_pab_json_check(const char *text, size_t n) {
    pab_json a, b;
    pab_json_error ea, eb;
    const int ok = pab_json_parse(text, n, 0, &a, &ea) == 0;
    const int ok_nul = pab_json_parse(text, n, PAB_JSON_ALLOW_NUL, &b, &eb) == 0;
    FZ_CHECK(!ok || ok_nul, "valid without \\u0000 but refused when \\u0000 is allowed");
    if (!ok) FZ_CHECK(ea.message[0] != '\0' && ea.offset <= n, "an error without message, or past the end");
    if (ok) {
        fz_pab_json_walk(&a, 0);
        pab_json_free(&a);
    }
    if (ok_nul) {
        fz_pab_json_walk(&b, 0);
        pab_json_free(&b);
    }
    return ok;
}

#endif /* FUZZ_PAB_JSON_H */
