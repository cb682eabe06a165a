/* pi_decode.c: base64 / hex payload discovery and decoding. */
#include "pi_decode.h"

#include <stdlib.h>
#include <string.h>

/* Base64 digit values (standard and URL-safe alphabets) and hex digit values; -1 = not a digit. */
static const int8_t B64[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, 62, -1, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
    -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
    -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

static const int8_t HEX[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1,
    -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

static int b64_value(unsigned char c) { return B64[c]; }

static int hex_value(unsigned char c) { return HEX[c]; }

int pi_looks_like_text(const uint8_t *p, size_t n) {
    if (n < 6) return 0;
    size_t good = 0, letters = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i];
        if (c < 0x80) {
            if ((c >= 0x20 && c < 0x7F) || c == '\n' || c == '\r' || c == '\t') good++;
            if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') letters++;
            i++;
            continue;
        }
        /* A well-formed multi-byte UTF-8 sequence counts as text. */
        size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
        int ok = len > 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; k++) ok = (p[i + k] & 0xC0) == 0x80;
        if (ok) {
            good += len;
            letters++;
            i += len;
        } else {
            i++;
        }
    }
    /* 95 % printable and a few letters: random bytes (a hash, an id decoded by accident) fail this. */
    return good * 100 >= n * 95 && letters * 4 >= n;
}

static int decode_b64_run(const char *s, size_t off, size_t n, pi_payload_fn fn, void *ctx, int *stop) {
    uint8_t *out = malloc(n * 3 / 4 + 3);
    if (out == NULL) return -1;
    size_t w = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0) break;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[w++] = (uint8_t)(acc >> bits);
        }
    }
    if (pi_looks_like_text(out, w)) *stop = fn(ctx, off, out, w);
    free(out);
    return 0;
}

int pi_find_base64(const char *text, size_t len, pi_payload_fn fn, void *ctx) {
    size_t i = 0;
    int stop = 0;
    while (i < len && !stop) {
        if (b64_value((unsigned char)text[i]) < 0) {
            i++;
            continue;
        }
        size_t s = i;
        int upper = 0, lower = 0, digit_or_sym = 0;
        while (i < len) {
            unsigned char c = (unsigned char)text[i];
            if (b64_value(c) < 0) break;
            if (c >= 'A' && c <= 'Z') upper = 1;
            else if (c >= 'a' && c <= 'z') lower = 1;
            else digit_or_sym = 1;
            i++;
        }
        size_t n = i - s;
        while (i < len && text[i] == '=') i++;
        /* Encoded text mixes cases (or digits): a long lower-case run is a word, not base64. */
        if (n < PI_DECODE_MIN_RUN || !(upper + lower + digit_or_sym >= 2)) continue;
        if (decode_b64_run(text + s, s, n, fn, ctx, &stop) != 0) return -1;
    }
    return 0;
}

/* Length of a hex-byte prefix at p ("\x", "0x", "%"), or 0. */
static size_t hex_prefix(const char *p, size_t left) {
    if (left >= 2 && p[0] == '\\' && p[1] == 'x') return 2;
    if (left >= 2 && p[0] == '0' && p[1] == 'x') return 2;
    if (left >= 1 && p[0] == '%') return 1;
    return 0;
}

int pi_find_hex(const char *text, size_t len, pi_payload_fn fn, void *ctx) {
    uint8_t *out = malloc(len / 2 + 1);
    if (out == NULL) return -1;
    int stop = 0;
    size_t i = 0;
    while (i < len && !stop) {
        unsigned char c = (unsigned char)text[i];
        int at_start = hex_value(c) >= 0 || c == '\\' || c == '%';
        int inside_word = i > 0 && ((text[i - 1] >= 'a' && text[i - 1] <= 'z') || (text[i - 1] >= '0' && text[i - 1] <= '9'));
        if (!at_start || inside_word) {
            i++;
            continue;
        }
        size_t j = i, nbytes = 0;
        for (;;) {
            size_t k = j + hex_prefix(text + j, len - j);
            if (k + 1 >= len) break;
            int hi = hex_value((unsigned char)text[k]);
            int lo = hex_value((unsigned char)text[k + 1]);
            if (hi < 0 || lo < 0) break;
            out[nbytes++] = (uint8_t)(hi << 4 | lo);
            j = k + 2;
            /* One separator between bytes ("69 67", "0x69,0x67"), only if another byte follows. */
            if (j < len && (text[j] == ' ' || text[j] == ',' || text[j] == ':')) {
                size_t m = j + 1;
                m += hex_prefix(text + m, len - m);
                if (m + 1 < len && hex_value((unsigned char)text[m]) >= 0 &&
                    hex_value((unsigned char)text[m + 1]) >= 0)
                    j++;
            }
        }
        if (nbytes * 2 >= PI_DECODE_MIN_RUN && pi_looks_like_text(out, nbytes)) stop = fn(ctx, i, out, nbytes);
        i = j > i ? j : i + 1;
    }
    free(out);
    return 0;
}
