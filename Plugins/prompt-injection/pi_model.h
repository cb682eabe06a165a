/* pi_model.h: the learned tier of the prompt-injection detector, a logistic model over hashed character
 * and word n-grams of the normalised text (the same text the rules read: folded, lower-cased, invisible
 * characters removed; decoded base64 / hex payloads are scored as texts of their own by the detector).
 *
 * Features, per normalised text (whitespace runs read as one space):
 *   - character 3-, 4- and 5-grams;
 *   - words (runs of a-z, 0-9 and non-ASCII bytes) and word bigrams.
 * Each feature is hashed to one bucket (multiplicative hashing of the n-gram's bytes: one multiply, no
 * mixing rounds, because this runs for every byte of every scanned message). The model holds one weight
 * table per role of the text at that point (PI_MODEL_ROLE_*), so "ignore the above" can weigh more inside
 * a tool result or a quoted document than in the user's own words. Training fits a shared weight plus one
 * per role and stores their sums, so scoring reads one byte per feature. A text is scored in windows of
 * 512 bytes, 256 apart (one window when shorter):
 *   logit(window) = bias[source] + scale * sum(w[role][bucket]) / sqrt(features in the window)
 * and the text's logit is the highest window's, so a short injection inside a long document is not diluted.
 *
 * Weights are int8 with one scale. The built-in model is the generated table pi_model_weights.c (written
 * by train/train.py); pi_model_load reads the same model from a file (format below) and checks it.
 * Scoring allocates nothing.
 */
#ifndef PI_MODEL_H
#define PI_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define PI_MODEL_ROLE_USER 0u      /* the user's own words (and system / developer / assistant text) */
#define PI_MODEL_ROLE_TOOL 1u      /* tool results and tool descriptions: third-party content throughout */
#define PI_MODEL_ROLE_RETRIEVED 2u /* quoted / pasted documents inside a user message (e-mail, <document>) */
#define PI_MODEL_ROLES 3u

#define PI_MODEL_BLOCK 256u /* window stride in bytes of normalised text; a window is two blocks */
#define PI_MODEL_MIN_BITS 10u
#define PI_MODEL_MAX_BITS 21u /* 3 tables of 2 MiB: within the 8 MiB budget */

/* File format (little-endian), PI_MODEL_FILE_HEADER + (PI_MODEL_ROLES << bits) + 8 bytes:
 *   "PIMODEL2"  8 bytes magic (PIMODEL1 files, one salted shared table, are refused: other features)
 *   uint32      bits (PI_MODEL_MIN_BITS..PI_MODEL_MAX_BITS)
 *   float32     scale
 *   float32     bias[2] (user, tool)
 *   int8        w[PI_MODEL_ROLES << bits]: the user, tool and retrieved tables, in that order
 *   uint64      FNV-1a 64 of every byte before it */
#define PI_MODEL_FILE_HEADER 24u

typedef struct pi_model {
    uint32_t bits;
    float scale;
    float bias[2]; /* by source: PI_MODEL_ROLE_USER, PI_MODEL_ROLE_TOOL */
    const int8_t *w; /* PI_MODEL_ROLES tables of 1 << bits: w[(role << bits) | bucket] */
    void *owned;       /* the file buffer of a loaded model; NULL for the built-in one */
    uint64_t checksum; /* FNV-1a 64 of the model's bytes in the file format (built-in: computed) */
} pi_model;

/* The compiled-in model (static storage; never freed). */
const pi_model *pi_model_builtin(void);
/* Load a model file. NULL with the reason in err (unreadable, wrong size or magic, checksum mismatch). */
pi_model *pi_model_load(const char *path, char *err, size_t err_cap);
/* Free a loaded model; the built-in one and NULL are ignored. */
void pi_model_free(const pi_model *m);

/* Spans [start, end) of the text with the role PI_MODEL_ROLE_RETRIEVED (inside a user message). */
typedef struct pi_model_spans {
    const size_t *start, *end;
    size_t n;
} pi_model_spans;

/* The highest window logit of a normalised text. source: PI_MODEL_ROLE_USER or PI_MODEL_ROLE_TOOL;
 * retrieved may be NULL. An empty text scores bias[source]. */
double pi_model_logit(const pi_model *m, const char *lower, size_t len, uint32_t source,
                      const pi_model_spans *retrieved);

/* The feature stream behind pi_model_logit, for the training tool and tests: fn is called once per
 * feature with its window block (offset / PI_MODEL_BLOCK), its bucket (< 1 << bits) and the role
 * (PI_MODEL_ROLE_*) of the text where it occurs. */
typedef void (*pi_model_feature_fn)(void *ctx, size_t block, uint32_t bucket, uint32_t role);
void pi_model_features(uint32_t bits, const char *lower, size_t len, uint32_t source,
                       const pi_model_spans *retrieved, pi_model_feature_fn fn, void *ctx);

/* The checksum of a model's bytes in the file format (equals m->checksum for an intact model). */
uint64_t pi_model_checksum(const pi_model *m);
/* 1 / (1 + e^-z), without libm. */
double pi_model_sigmoid(double z);
/* FNV-1a 64 (the file checksum). */
uint64_t pi_model_fnv64(const void *p, size_t n, uint64_t h);
#define PI_MODEL_FNV64_INIT 0xcbf29ce484222325ull

#endif
