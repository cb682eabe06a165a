/* pi_model.c: hashed n-gram features, windowed logistic scoring, and the model file reader. */
#include "pi_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pi_model_weights.h"

uint64_t pi_model_fnv64(const void *p, size_t n, uint64_t h) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* libm-free helpers: the plugin links against libc only. */
static double inv_sqrt(double x) {
    /* Newton's iteration from a power-of-two estimate; x >= 1 here (a feature count). */
    double y = 0.75, t = x;
    while (t >= 4.0) {
        t *= 0.25;
        y *= 0.5;
    }
    for (int i = 0; i < 8; i++) y = y * (1.5 - 0.5 * x * y * y);
    return y;
}

static double exp_neg(double x) { /* e^-x for x >= 0 */
    if (x > 700.0) return 0.0;
    int k = 0;
    while (x > 0.5) {
        x *= 0.5;
        k++;
    }
    double r = 1.0, term = 1.0;
    for (int i = 1; i < 14; i++) {
        term *= -x / i;
        r += term;
    }
    while (k-- > 0) r *= r;
    return r;
}

double pi_model_sigmoid(double z) {
    if (z >= 0.0) return 1.0 / (1.0 + exp_neg(z));
    double e = exp_neg(-z);
    return e / (1.0 + e);
}

static int finite_float(float f) { return f == f && f - f == 0.0f; }

/* Byte classes of the feature loop: 1 = word byte (a-z, 0-9, any byte of a non-ASCII character), 2 = white
 * space (read as one space). A table: this runs for every byte of every scanned message. */
#define WORD_BYTE 1u
#define SPACE_BYTE 2u
static const uint8_t BYTE_CLASS[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 2, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* The role at pos and the first offset after it where the role may change (a span boundary), so the
 * feature loop looks the spans up once per run of equal role, not once per feature. */
static uint32_t role_run(uint32_t source, const pi_model_spans *s, size_t pos, size_t *until) {
    *until = SIZE_MAX;
    if (source != PI_MODEL_ROLE_USER || s == NULL) return source;
    int in = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (pos >= s->start[i] && pos < s->end[i]) {
            in = 1;
            if (s->end[i] < *until) *until = s->end[i];
        } else if (s->start[i] > pos && s->start[i] < *until) {
            *until = s->start[i];
        }
    }
    return in ? PI_MODEL_ROLE_RETRIEVED : PI_MODEL_ROLE_USER;
}

/* Odd multipliers, one per feature kind (a word and a 3-gram with the same bytes land apart); the bucket
 * is the product's top bits (multiplicative hashing: the top bits depend on every key bit). */
#define K_GRAM3 0x9e3779b97f4a7c15ull
#define K_GRAM4 0xc2b2ae3d27d4eb4full
#define K_GRAM5 0x165667b19e3779f9ull
#define K_WORD 0xd6e8feb86659fd93ull
#define K_BIGRAM 0xa0761d6478bd642full

/* Features of one block at most: 5 per byte (three n-grams, a word, a bigram) for the block's bytes and
 * the two virtual spaces at the ends of the text. */
#define BLOCK_FEATURES (5u * (PI_MODEL_BLOCK + 2u))

/* The feature iterator: the stream is produced one block at a time into a caller's array of indices
 * (role << bits | bucket), which the scorer sums with one table load each and the training tool reads
 * back; one producer for both, so training and scoring cannot disagree, and the hot loop keeps its
 * state in locals (a per-feature callback or a shared state struct would pin it to memory). */
typedef struct feat_iter {
    const char *text;
    size_t len, i; /* next stream index: 0 is the leading virtual space, len + 1 the trailing one */
    unsigned bits;
    uint32_t source;
    const pi_model_spans *retrieved;
    uint64_t g;         /* the last stream bytes, most recent in the low byte */
    size_t have;        /* bytes in the collapsed stream so far, counted up to 4 (then every n-gram exists) */
    int last_space;     /* the previous stream byte was a space */
    uint32_t word_h, prev_word;
    int in_word, have_prev;
    size_t role_until; /* the current role holds up to here (exclusive) */
    uint32_t role;
} feat_iter;

static void iter_init(feat_iter *it, unsigned bits, const char *text, size_t len, uint32_t source,
                      const pi_model_spans *retrieved) {
    memset(it, 0, sizeof(*it));
    it->text = text;
    it->len = len;
    it->bits = bits;
    it->source = source == PI_MODEL_ROLE_TOOL ? PI_MODEL_ROLE_TOOL : PI_MODEL_ROLE_USER;
    it->retrieved = retrieved;
    it->role = it->source;
}

/* One stream byte (c, already read as ' ' when white space, of class cl): the word and bigram features it
 * ends and the character n-grams it completes, appended to out[n]. A macro rather than a function: it
 * updates the caller's locals, which must stay in registers. */
#define PI_FEATURE(key, mul) (out[n++] = hi | (uint32_t)(((uint64_t)(key) * (mul)) >> shift))
#define PI_STEP(c, cl)                                                                          \
    do {                                                                                        \
        if ((cl) & WORD_BYTE) {                                                                 \
            if (!in_word) {                                                                     \
                in_word = 1;                                                                    \
                word_h = 0x811c9dc5u;                                                           \
            }                                                                                   \
            word_h = (word_h ^ (c)) * 0x01000193u;                                              \
        } else if (in_word) {                                                                   \
            in_word = 0;                                                                        \
            PI_FEATURE(word_h, K_WORD);                                                         \
            if (have_prev) PI_FEATURE(((uint64_t)prev_word << 32) | word_h, K_BIGRAM);          \
            prev_word = word_h;                                                                 \
            have_prev = 1;                                                                      \
        }                                                                                       \
        /* Character n-grams over the collapsed stream: the last 3, 4 and 5 bytes are g's low bytes. */ \
        if (!((c) == ' ' && last_space)) {                                                      \
            last_space = (c) == ' ';                                                            \
            g = (g << 8) | (c);                                                                 \
            if (have >= 4) {                                                                    \
                PI_FEATURE(g & 0xffffffull, K_GRAM3);                                           \
                PI_FEATURE(g & 0xffffffffull, K_GRAM4);                                         \
                PI_FEATURE(g & 0xffffffffffull, K_GRAM5);                                       \
            } else if (++have >= 3) {                                                           \
                PI_FEATURE(g & 0xffffffull, K_GRAM3);                                           \
                if (have >= 4) PI_FEATURE(g & 0xffffffffull, K_GRAM4);                          \
            }                                                                                   \
        }                                                                                       \
    } while (0)

/* The features of the next block into out[] (BLOCK_FEATURES entries); returns how many, and the block
 * number in *block (blocks come in order, none skipped). Call while it->i <= len + 1. Stream index i:
 * 0 is a virtual space before the text, 1..len its bytes (offset i - 1), len + 1 a virtual space after
 * it (at offset len - 1, so that it falls in the last block). */
static size_t iter_block(feat_iter *it, uint32_t *out, size_t *block) {
    const uint8_t *text = (const uint8_t *)it->text;
    const size_t len = it->len;
    const unsigned shift = 64u - it->bits;
    size_t i = it->i, have = it->have, role_until = it->role_until;
    uint64_t g = it->g;
    uint32_t word_h = it->word_h, prev_word = it->prev_word;
    int in_word = it->in_word, have_prev = it->have_prev, last_space = it->last_space;
    uint32_t hi = it->role << it->bits; /* the role's table offset */
    size_t n = 0;
    size_t blk = (i <= 1 ? 0 : i - 1) / PI_MODEL_BLOCK;
    if (i == len + 1 && len > 0) blk = (len - 1) / PI_MODEL_BLOCK;
    const size_t block_end = (blk + 1) * PI_MODEL_BLOCK; /* first offset of the next block */
    *block = blk;
    if (i == 0) {
        if (role_until == 0) {
            it->role = role_run(it->source, it->retrieved, 0, &role_until);
            hi = it->role << it->bits;
        }
        PI_STEP(' ', SPACE_BYTE);
        i = 1;
    }
    while (i <= len && i - 1 < block_end) {
        if (i - 1 >= role_until) {
            it->role = role_run(it->source, it->retrieved, i - 1, &role_until);
            hi = it->role << it->bits;
        }
        /* Run to the end of the text, the block or the role, whichever comes first. */
        size_t stop = len < block_end ? len : block_end;
        if (role_until < stop) stop = role_until;
        for (; i <= stop; i++) {
            unsigned c = text[i - 1], cl = BYTE_CLASS[c];
            if (cl & SPACE_BYTE) c = ' ';
            PI_STEP(c, cl);
        }
    }
    if (i == len + 1) { /* the trailing virtual space, in the text's last block (checked above) */
        size_t pos = len ? len - 1 : 0;
        if (pos >= role_until) {
            it->role = role_run(it->source, it->retrieved, pos, &role_until);
            hi = it->role << it->bits;
        }
        PI_STEP(' ', SPACE_BYTE);
        i = len + 2;
    }
    it->i = i;
    it->have = have;
    it->role_until = role_until;
    it->g = g;
    it->word_h = word_h;
    it->prev_word = prev_word;
    it->in_word = in_word;
    it->have_prev = have_prev;
    it->last_space = last_space;
    return n;
}
#undef PI_STEP
#undef PI_FEATURE

void pi_model_features(uint32_t bits, const char *lower, size_t len, uint32_t source,
                       const pi_model_spans *retrieved, pi_model_feature_fn fn, void *ctx) {
    feat_iter it;
    uint32_t buf[BLOCK_FEATURES];
    size_t block;
    const uint32_t mask = (1u << bits) - 1u;
    iter_init(&it, bits, lower, len, source, retrieved);
    while (it.i <= len + 1) {
        size_t n = iter_block(&it, buf, &block);
        for (size_t k = 0; k < n; k++) fn(ctx, block, buf[k] & mask, buf[k] >> bits);
    }
}

static double window_logit(const pi_model *m, int32_t sum, uint32_t n) {
    return (double)sum * (double)m->scale * inv_sqrt((double)n);
}

double pi_model_logit(const pi_model *m, const char *lower, size_t len, uint32_t source,
                      const pi_model_spans *retrieved) {
    feat_iter it;
    uint32_t buf[BLOCK_FEATURES];
    size_t block;
    int32_t s_prev = 0, s0 = 0;
    uint32_t n_prev = 0, n0 = 0;
    double best = 0.0, pending = 0.0;
    int any = 0, any_pending = 0;
    const int8_t *w = m->w;
    iter_init(&it, m->bits, lower, len, source, retrieved);
    /* Windows are blocks (k, k + 1) up to the last block with a feature; a text whose features all lie in
     * block 0 has the one window of block 0 (train/featurize.c reads the stream the same way). Iterated
     * blocks are consecutive; a window ending in a featureless block counts only once a later block
     * has features. */
    while (it.i <= len + 1) {
        size_t n = iter_block(&it, buf, &block);
        int32_t sum = 0;
        for (size_t k = 0; k < n; k++) sum += w[buf[k]];
        if (block == 0) {
            s0 = sum;
            n0 = (uint32_t)n;
        } else if (n_prev + n > 0) {
            double l = window_logit(m, s_prev + sum, n_prev + (uint32_t)n);
            if (!any_pending || l > pending) pending = l;
            any_pending = 1;
        }
        if (n > 0 && any_pending) {
            if (!any || pending > best) best = pending;
            any = 1;
            any_pending = 0;
        }
        s_prev = sum;
        n_prev = (uint32_t)n;
    }
    if (!any && n0 > 0) {
        best = window_logit(m, s0, n0);
        any = 1;
    }
    return (double)m->bias[it.source] + (any ? best : 0.0);
}

/* ---------------------------------------------------------------------------------------------------
 * The built-in model and model files
 * ------------------------------------------------------------------------------------------------- */

uint64_t pi_model_checksum(const pi_model *m) {
    uint8_t head[PI_MODEL_FILE_HEADER];
    memcpy(head, "PIMODEL2", 8);
    memcpy(head + 8, &m->bits, 4);
    memcpy(head + 12, &m->scale, 4);
    memcpy(head + 16, m->bias, 8);
    uint64_t h = pi_model_fnv64(head, sizeof(head), PI_MODEL_FNV64_INIT);
    return pi_model_fnv64(m->w, (size_t)PI_MODEL_ROLES << m->bits, h);
}

const pi_model *pi_model_builtin(void) { return &pi_model_builtin_model; }

pi_model *pi_model_load(const char *path, char *err, size_t cap) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, cap, "model: cannot open %.200s", path);
        return NULL;
    }
    uint8_t head[PI_MODEL_FILE_HEADER];
    pi_model *m = NULL;
    uint8_t *buf = NULL;
    if (fread(head, 1, sizeof(head), f) != sizeof(head) || memcmp(head, "PIMODEL2", 8) != 0) {
        snprintf(err, cap, "model: %.200s is not a prompt-injection model file (bad magic)", path);
        goto fail;
    }
    uint32_t bits;
    float scale, bias[2];
    memcpy(&bits, head + 8, 4);
    memcpy(&scale, head + 12, 4);
    memcpy(bias, head + 16, 8);
    if (bits < PI_MODEL_MIN_BITS || bits > PI_MODEL_MAX_BITS || !(scale > 0.0f) || !finite_float(bias[0]) ||
        !finite_float(bias[1])) {
        snprintf(err, cap, "model: %.200s has an invalid header", path);
        goto fail;
    }
    size_t nw = (size_t)PI_MODEL_ROLES << bits;
    buf = malloc(nw);
    m = calloc(1, sizeof(pi_model));
    if (buf == NULL || m == NULL) {
        snprintf(err, cap, "out of memory");
        goto fail;
    }
    uint8_t tail[9];
    if (fread(buf, 1, nw, f) != nw || fread(tail, 1, 9, f) != 8) {
        snprintf(err, cap, "model: %.200s has the wrong size for 3 tables of %u-bit weights", path, (unsigned)bits);
        goto fail;
    }
    uint64_t stored;
    memcpy(&stored, tail, 8);
    uint64_t sum = pi_model_fnv64(buf, nw, pi_model_fnv64(head, sizeof(head), PI_MODEL_FNV64_INIT));
    if (sum != stored) {
        snprintf(err, cap, "model: %.200s fails its checksum (corrupt or truncated)", path);
        goto fail;
    }
    fclose(f);
    m->bits = bits;
    m->scale = scale;
    m->bias[0] = bias[0];
    m->bias[1] = bias[1];
    m->w = (const int8_t *)buf;
    m->owned = buf;
    m->checksum = sum;
    return m;
fail:
    fclose(f);
    free(buf);
    free(m);
    return NULL;
}

void pi_model_free(const pi_model *m) {
    if (m == NULL || m->owned == NULL) return;
    free(m->owned);
    free((void *)m);
}

