/* featurize.c: the training tool's view of the model's features, computed by the plugin's own code
 * (normaliser, quoted-region finder, pi_model_features), so training and scoring can never disagree.
 *
 *   featurize BITS < texts.jsonl > features.bin
 *
 * Input line: {"t": "text", "s": "user" | "tool"}. Output, per input line, little-endian uint32s:
 *   nwin, then per window: n (features in it), nnz, then nnz pairs (column, count)
 * Columns: bucket (the shared weight) and (1 + role) << BITS | bucket (the role's weight), so
 * 4 << BITS columns. The model's logit of a window is bias[source] + sum(w[column] * count) / sqrt(n);
 * of a text, its highest window's (pi_model.h). Built by train/train.py.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pab_json.h"
#include "pi_config.h"
#include "pi_detector.h"

typedef struct feat {
    uint32_t block, bucket;
} feat;

typedef struct acc {
    feat *v;
    size_t n, cap;
    uint32_t bits;
} acc;

/* Each feature is two columns of the training matrix: its shared weight (bucket) and the weight of its
 * role ((1 + role) << bits | bucket); the model stores their sum per role (pi_model.h). */
static void on_feature(void *ctx, size_t block, uint32_t bucket, uint32_t role) {
    acc *a = ctx;
    if (a->n + 2 > a->cap) {
        a->cap = a->cap ? a->cap * 2 : 4096;
        a->v = realloc(a->v, a->cap * sizeof(feat));
        if (a->v == NULL) abort();
    }
    a->v[a->n++] = (feat){(uint32_t)block, bucket};
    a->v[a->n++] = (feat){(uint32_t)block, ((1u + role) << a->bits) | bucket};
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void put(uint32_t v) { fwrite(&v, 4, 1, stdout); }

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s BITS < texts.jsonl > features.bin\n", argv[0]);
        return 2;
    }
    uint32_t bits = (uint32_t)strtoul(argv[1], NULL, 10);
    char err[256];
    pi_options o;
    pi_options_init(&o);
    o.mode = PI_MODE_RULES; /* the feature stream needs no model */
    pi_detector *d = pi_detector_new(&o, err, sizeof(err));
    if (d == NULL) {
        fprintf(stderr, "detector: %s\n", err);
        return 2;
    }
    acc a = {0};
    a.bits = bits;
    uint32_t *tmp = NULL;
    size_t tmp_cap = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        pab_json doc;
        pab_json_error jerr;
        if (pab_json_parse(line, (size_t)n, 0, &doc, &jerr) != 0) {
            fprintf(stderr, "input: invalid JSON at byte %zu: %s\n", jerr.offset, jerr.message);
            return 2;
        }
        const pab_json *t = pab_json_get(&doc, "t"), *s = pab_json_get(&doc, "s");
        if (t == NULL || t->type != PAB_JSON_STRING || s == NULL || s->type != PAB_JSON_STRING) {
            fprintf(stderr, "input: need {\"t\": text, \"s\": source}\n");
            return 2;
        }
        uint32_t source = strcmp(s->str, "tool") == 0 ? PI_SOURCE_TOOL : PI_SOURCE_USER;
        a.n = 0;
        if (pi_detector_model_features(d, bits, (const uint8_t *)t->str, t->str_len, source, on_feature, &a) != 0) {
            fprintf(stderr, "featurize failed\n");
            return 2;
        }
        uint32_t maxb = a.n ? a.v[a.n - 1].block : 0;
        uint32_t nwin = maxb == 0 ? 1 : maxb;
        put(nwin);
        size_t lo = 0; /* first feature of window k's first block */
        for (uint32_t k = 0; k < nwin; k++) {
            while (lo < a.n && a.v[lo].block < k) lo++;
            size_t hi = lo;
            uint32_t last = maxb == 0 ? 0 : k + 1;
            while (hi < a.n && a.v[hi].block <= last) hi++;
            size_t m = hi - lo;
            if (m > tmp_cap) {
                tmp_cap = m * 2;
                tmp = realloc(tmp, tmp_cap * sizeof(uint32_t));
                if (tmp == NULL) abort();
            }
            for (size_t i = 0; i < m; i++) tmp[i] = a.v[lo + i].bucket;
            qsort(tmp, m, sizeof(uint32_t), cmp_u32);
            uint32_t nnz = 0;
            for (size_t i = 0; i < m; i++) nnz += i == 0 || tmp[i] != tmp[i - 1];
            put((uint32_t)(m / 2));
            put(nnz);
            for (size_t i = 0; i < m;) {
                size_t j = i;
                while (j < m && tmp[j] == tmp[i]) j++;
                put(tmp[i]);
                put((uint32_t)(j - i));
                i = j;
            }
        }
        pab_json_free(&doc);
    }
    free(tmp);
    free(a.v);
    free(line);
    pi_detector_free(d);
    return 0;
}
