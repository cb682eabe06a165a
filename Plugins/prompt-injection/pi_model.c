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

static uint32_t fmix32(uint32_t h) {
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
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

static int word_byte(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80; }

static int space_byte(unsigned char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

static int in_spans(const pi_model_spans *s, size_t off) {
    for (size_t i = 0; i < s->n; i++) {
        if (off >= s->start[i] && off < s->end[i]) return 1;
    }
    return 0;
}

/* The feature stream. `emit` receives (block, shared bucket, role bucket). Written once and used by both
 * the scorer and the training tool, so the two can never disagree. */
/* The feature loop is inlined into both of its users, so the scorer's copy has no indirect call. */
#if defined(__GNUC__) || defined(__clang__)
#define PI_INLINE static inline __attribute__((always_inline))
#else
#define PI_INLINE static inline
#endif

typedef struct score_state score_state;
PI_INLINE void score_feature(score_state *s, size_t block, uint32_t shared, uint32_t role);

typedef struct feat_state {
    uint32_t mask;
    uint32_t source;
    const pi_model_spans *retrieved;
    pi_model_feature_fn fn; /* the training tool's sink, or NULL: accumulate into score */
    void *ctx;
    score_state *score;
} feat_state;

PI_INLINE void emit(const feat_state *st, size_t pos, uint32_t h) {
    uint32_t role = st->source;
    if (role == PI_MODEL_ROLE_USER && st->retrieved != NULL && st->retrieved->n > 0 && in_spans(st->retrieved, pos))
        role = PI_MODEL_ROLE_RETRIEVED;
    uint32_t m = fmix32(h);
    uint32_t shared = m & st->mask;
    static const uint32_t SALT[PI_MODEL_ROLES] = {0x9e3779b9u, 0x7f4a7c15u, 0xf39cc060u};
    uint32_t salted = (((m << 13) | (m >> 19)) ^ SALT[role]) & st->mask;
    if (st->fn == NULL) {
        score_feature(st->score, pos / PI_MODEL_BLOCK, shared, salted);
    } else {
        st->fn(st->ctx, pos / PI_MODEL_BLOCK, shared, salted);
    }
}

PI_INLINE void enumerate(const feat_state *st, const char *text, size_t len) {
    uint32_t b1 = 0, b2 = 0, b3 = 0, b4 = 0; /* the previous stream bytes, most recent first */
    size_t have = 0;    /* bytes in the collapsed stream so far */
    int last_space = 0; /* the previous stream byte was a space */
    uint32_t word_h = 0, prev_word = 0;
    int in_word = 0, have_prev = 0;
    /* A virtual space at both ends, so word beginnings and ends form n-grams too. */
    for (size_t i = 0; i <= len + 1; i++) {
        unsigned char c;
        size_t pos;
        if (i == 0) {
            c = ' ';
            pos = 0;
        } else if (i == len + 1) {
            c = ' ';
            pos = len ? len - 1 : 0;
        } else {
            c = (unsigned char)text[i - 1];
            pos = i - 1;
            if (space_byte(c)) c = ' ';
        }
        /* Words and bigrams. */
        if (word_byte(c)) {
            if (!in_word) {
                in_word = 1;
                word_h = 0x811c9dc5u ^ 0x57u;
            }
            word_h = (word_h ^ c) * 0x01000193u;
        } else if (in_word) {
            in_word = 0;
            uint32_t w = fmix32(word_h);
            emit(st, pos, w ^ 0x1000u);
            if (have_prev) emit(st, pos, fmix32(prev_word * 31u + w) ^ 0x2000u);
            prev_word = w;
            have_prev = 1;
        }
        /* Character n-grams over the collapsed stream. */
        if (c == ' ' && last_space) continue;
        last_space = c == ' ';
        have++;
        /* Polynomial hashes of the last 3, 4 and 5 bytes, each extending the shorter one. */
        if (have >= 3) {
            uint32_t h = ((uint32_t)c * 0x01000193u + b1) * 0x01000193u + b2;
            emit(st, pos, h ^ 0x30000u);
            if (have >= 4) {
                h = h * 0x01000193u + b3;
                emit(st, pos, h ^ 0x40000u);
                if (have >= 5) emit(st, pos, (h * 0x01000193u + b4) ^ 0x50000u);
            }
        }
        b4 = b3;
        b3 = b2;
        b2 = b1;
        b1 = c;
    }
}

void pi_model_features(uint32_t bits, const char *lower, size_t len, uint32_t source,
                       const pi_model_spans *retrieved, pi_model_feature_fn fn, void *ctx) {
    feat_state st = {(1u << bits) - 1u, source, retrieved, fn, ctx, NULL};
    enumerate(&st, lower, len);
}

/* Windowed scoring: a window is two consecutive blocks; the text's logit is its best window's. */
struct score_state {
    const pi_model *m;
    size_t block;
    int64_t s_prev, s_cur; /* sums of int8 weights: exact, and integer adds keep the loop short */
    uint32_t n_prev, n_cur;
    double best;
    int any;
};

static void window_done(score_state *s, int64_t isum, uint32_t n) {
    double sum = (double)isum;
    if (n == 0) return;
    double logit = sum * (double)s->m->scale * inv_sqrt((double)n);
    if (!s->any || logit > s->best) s->best = logit;
    s->any = 1;
}

PI_INLINE void score_feature(score_state *s, size_t block, uint32_t shared, uint32_t role) {
    while (block > s->block) {
        if (s->block >= 1) window_done(s, s->s_prev + s->s_cur, s->n_prev + s->n_cur);
        s->s_prev = s->s_cur;
        s->n_prev = s->n_cur;
        s->s_cur = 0;
        s->n_cur = 0;
        s->block++;
    }
    s->s_cur += (int)s->m->w[shared] + (int)s->m->w[role];
    s->n_cur++;
}

double pi_model_logit(const pi_model *m, const char *lower, size_t len, uint32_t source,
                      const pi_model_spans *retrieved) {
    uint32_t src = source == PI_MODEL_ROLE_TOOL ? PI_MODEL_ROLE_TOOL : PI_MODEL_ROLE_USER;
    score_state s;
    memset(&s, 0, sizeof(s));
    s.m = m;
    feat_state st = {(1u << m->bits) - 1u, src, retrieved, NULL, NULL, &s};
    enumerate(&st, lower, len);
    if (s.block == 0) {
        window_done(&s, s.s_cur, s.n_cur);
    } else {
        window_done(&s, s.s_prev + s.s_cur, s.n_prev + s.n_cur);
    }
    return (double)m->bias[src] + (s.any ? s.best : 0.0);
}

/* ---------------------------------------------------------------------------------------------------
 * The built-in model and model files
 * ------------------------------------------------------------------------------------------------- */

uint64_t pi_model_checksum(const pi_model *m) {
    uint8_t head[PI_MODEL_FILE_HEADER];
    memcpy(head, "PIMODEL1", 8);
    memcpy(head + 8, &m->bits, 4);
    memcpy(head + 12, &m->scale, 4);
    memcpy(head + 16, m->bias, 8);
    uint64_t h = pi_model_fnv64(head, sizeof(head), PI_MODEL_FNV64_INIT);
    return pi_model_fnv64(m->w, (size_t)1 << m->bits, h);
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
    if (fread(head, 1, sizeof(head), f) != sizeof(head) || memcmp(head, "PIMODEL1", 8) != 0) {
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
    size_t nw = (size_t)1 << bits;
    buf = malloc(nw);
    m = calloc(1, sizeof(pi_model));
    if (buf == NULL || m == NULL) {
        snprintf(err, cap, "out of memory");
        goto fail;
    }
    uint8_t tail[9];
    if (fread(buf, 1, nw, f) != nw || fread(tail, 1, 9, f) != 8) {
        snprintf(err, cap, "model: %.200s has the wrong size for %u-bit weights", path, (unsigned)bits);
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

