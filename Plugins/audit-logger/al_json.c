/* al_json.c: see al_json.h. The reading itself is pab_json.h's; this file only adapts it. */
#include "al_json.h"
#include "pab_json.h"

#include <stdio.h>

int aj_parse(const char *text, size_t n, pab_json *out, char *err, size_t err_cap) {
    pab_json_error e;
    if (pab_json_parse(text, n, 0, out, &e) == 0) return 0;
    snprintf(err, err_cap, "invalid JSON at byte %zu: %s", e.offset, e.message);
    return -1;
}

int aj_number_double(const pab_json *v, double *out) {
    if (!v || v->type != PAB_JSON_NUMBER) return -1;
    *out = v->number;
    return 0;
}

int aj_number_int64(const pab_json *v, int64_t *out) {
    if (!v || v->type != PAB_JSON_NUMBER || !v->is_integer) return -1;
    /* Integers beyond 2^53 are rounded by the double conversion; no count in a record comes near that. */
    return pab_json_int(v, INT64_MIN, INT64_MAX, out);
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
