/*
 * fuzz_util.h: small helpers shared by the libFuzzer targets in this folder (header-only, static inline).
 *
 * libFuzzer hands one flat byte string; most plugin entry points want several inputs (a config and a
 * text, a list of stream deltas). Splitting the input on a separator byte keeps seeds readable in an
 * editor (a seed is "config<0x1e>text<0x1e>text"), and lets the mutator move bytes across pieces.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ASCII record separator: never needed inside the texts and configs the targets build. */
#define FZ_SEP 0x1e

typedef struct fz_input {
    const uint8_t *p;
    size_t n;
    size_t at;
    int done;
} fz_input;

/* The next piece up to the separator (or the end). An input of k separators has k + 1 pieces (some may be
 * empty). Returns 0 once every piece was handed out. */
static inline int fz_next(fz_input *in, const uint8_t **piece, size_t *len) {
    if (in->done) return 0;
    const uint8_t *start = in->p + in->at;
    const uint8_t *sep = in->at < in->n ? memchr(start, FZ_SEP, in->n - in->at) : NULL;
    if (sep) {
        *len = (size_t)(sep - start);
        in->at += *len + 1;
    } else {
        *len = in->n - in->at;
        in->at = in->n;
        in->done = 1;
    }
    *piece = start;
    return 1;
}

/* A heap copy with a NUL after it: ASan then reports any read past `n`, which a pointer into the fuzzer's
 * buffer would also do, but the NUL keeps APIs that document NUL-terminated input honest. */
static inline char *fz_dup(const uint8_t *p, size_t n) {
    char *s = malloc(n + 1);
    if (!s) abort();
    if (n) memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Length of the valid UTF-8 sequence at p[0..n) (1..4), or 0 when p does not start one (RFC 3629:
 * no overlongs, no surrogates, nothing above U+10FFFF). */
static inline size_t fz_utf8_seq(const uint8_t *p, size_t n) {
    uint8_t c = p[0];
    if (c < 0x80) return 1;
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if (c == 0xED) len = 3, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) len = 3;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) len = 4, hi = 0x8F;
    else return 0;
    if (n < len || p[1] < lo || p[1] > hi) return 0;
    for (size_t k = 2; k < len; k++)
        if (p[k] < 0x80 || p[k] > 0xBF) return 0;
    return len;
}

static inline int fz_utf8_valid(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t l = fz_utf8_seq(p + i, n - i);
        if (l == 0) return 0;
        i += l;
    }
    return 1;
}

/* A heap copy of p[0..n) with every invalid byte replaced by '?': the host only ever hands plugins valid
 * UTF-8 text (it decodes the JSON), so feeding anything else would report bugs no real input can reach. */
static inline char *fz_utf8_dup(const uint8_t *p, size_t n) {
    char *s = fz_dup(p, n);
    for (size_t i = 0; i < n;) {
        size_t l = fz_utf8_seq((const uint8_t *)s + i, n - i);
        if (l == 0) {
            s[i] = '?';
            l = 1;
        }
        i += l;
    }
    return s;
}

/* Fails the run with a message: abort() makes libFuzzer save the input as a crash. */
#define FZ_CHECK(cond, ...)                                                                                    \
    do {                                                                                                       \
        if (!(cond)) {                                                                                         \
            fprintf(stderr, "fuzz check failed at %s:%d: %s: ", __FILE__, __LINE__, #cond);                    \
            fprintf(stderr, __VA_ARGS__);                                                                      \
            fputc('\n', stderr);                                                                               \
            abort();                                                                                           \
        }                                                                                                      \
    } while (0)

#endif /* FUZZ_UTIL_H */
