/* pi_normalize.c: UTF-8 decoding, Unicode folding and invisible-character removal in one pass. */
#include "pi_normalize.h"

#include <stdlib.h>
#include <string.h>

#include "pi_fold_table.h"

/* Per ASCII byte: 1 = base64 alphabet, 2 = hex-payload alphabet, 4 = opens a chat-template token. */
static const uint8_t SCAN_HINTS[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 0, 0, 4, 0, 2, 0, 0, 0, 0, 0, 1, 2, 1, 0, 1,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 0, 4, 0, 0, 0,
    0, 3, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4, 2, 0, 0, 1,
    0, 3, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 3, 1, 1, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* Combining marks are dropped so that "i\u0308gnore" and precomposed accents read as the base letter. */
static int is_combining(uint32_t cp) {
    return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) || (cp >= 0x1DC0 && cp <= 0x1DFF) ||
           (cp >= 0x20D0 && cp <= 0x20FF) || (cp >= 0xFE20 && cp <= 0xFE2F);
}

static const pi_fold_entry *fold_lookup(uint32_t cp) {
    size_t lo = 0, hi = pi_fold_table_len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pi_fold_table[mid].cp < cp) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < pi_fold_table_len && pi_fold_table[lo].cp == cp) return &pi_fold_table[lo];
    return NULL;
}

static size_t encode_utf8(uint32_t cp, char out[4]) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t pi_fold_codepoint(uint32_t cp, pi_norm_flags flags, char out[4]) {
    if (cp < 0x80) {
        if (cp == '\t') {
            out[0] = ' ';
            return 1;
        }
        if (cp == '\r') {
            out[0] = '\n';
            return 1;
        }
        if ((cp < 0x20 && cp != '\n') || cp == 0x7F) return 0;
        out[0] = (char)cp;
        return 1;
    }
    /* Invisible whatever the flags: these exist to hide or split text. */
    if ((cp >= 0xE0000 && cp <= 0xE0FFF) || is_combining(cp) || (cp >= 0x80 && cp < 0xA0)) {
        if (cp == 0x85) {
            out[0] = '\n';
            return 1;
        }
        return 0;
    }
    const pi_fold_entry *e = fold_lookup(cp);
    if (e != NULL) {
        if (e->to[0] == '\0') return 0; /* invisible: always removed */
        int wanted = e->homoglyph ? flags.fold_homoglyphs : flags.fold_unicode;
        /* Spaces and line separators are structure, not obfuscation: always fold them. */
        if (wanted || e->to[0] == ' ' || e->to[0] == '\n') {
            size_t n = strlen(e->to);
            memcpy(out, e->to, n);
            return n;
        }
    }
    return encode_utf8(cp, out);
}

/* Decode one UTF-8 sequence at p (n bytes left). Returns its length and the code point, or length 1 and
 * cp = 0xFFFFFFFF for an invalid byte (overlong forms, surrogates and truncated sequences included). */
static size_t decode_utf8(const uint8_t *p, size_t n, uint32_t *cp) {
    uint8_t b = p[0];
    size_t len;
    uint32_t v, min;
    if (b < 0xC2 || b > 0xF4) {
        *cp = 0xFFFFFFFFu;
        return 1;
    }
    if (b < 0xE0) {
        len = 2;
        v = b & 0x1F;
        min = 0x80;
    } else if (b < 0xF0) {
        len = 3;
        v = b & 0x0F;
        min = 0x800;
    } else {
        len = 4;
        v = b & 0x07;
        min = 0x10000;
    }
    if (len > n) {
        *cp = 0xFFFFFFFFu;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *cp = 0xFFFFFFFFu;
            return 1;
        }
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = 0xFFFFFFFFu;
        return 1;
    }
    *cp = v;
    return len;
}

int pi_normalize(const uint8_t *in, size_t n, pi_norm_flags flags, pi_norm *out) {
    memset(out, 0, sizeof(*out));
    /* The fold table never maps a code point to more bytes than its UTF-8 form, so n bytes suffice. */
    char *buf = malloc(2 * n + 2);
    if (buf == NULL) return -1;
    char *cased = buf, *lower = buf + n + 1;
    size_t w = 0, i = 0;
    size_t b64_run = 0, hex_run = 0, max_b64 = 0, max_hex = 0;
    unsigned specials = 0;
    while (i < n) {
        uint8_t b = in[i];
        if (b < 0x80) {
            /* ASCII fast path. */
            char c = (char)b;
            unsigned hint = SCAN_HINTS[b];
            b64_run = (hint & 1) ? b64_run + 1 : 0;
            hex_run = (hint & 2) ? hex_run + 1 : 0;
            max_b64 = b64_run > max_b64 ? b64_run : max_b64;
            max_hex = hex_run > max_hex ? hex_run : max_hex;
            specials |= hint;
            if (b >= 0x20 && b != 0x7F) {
                cased[w] = c;
                lower[w] = (b >= 'A' && b <= 'Z') ? (char)(b + 32) : c;
                w++;
            } else if (b == '\n' || b == '\r') {
                cased[w] = lower[w] = '\n';
                w++;
            } else if (b == '\t') {
                cased[w] = lower[w] = ' ';
                w++;
            }
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = decode_utf8(in + i, n - i, &cp);
        i += len;
        b64_run = hex_run = 0;
        if (cp == 0xFFFFFFFFu) continue; /* invalid byte: dropped, like an invisible character */
        if (cp >= 0xE0020 && cp <= 0xE007E) {
            /* Tag characters spell ASCII invisibly: keep that text aside to scan it. */
            if (out->hidden == NULL) {
                out->hidden = malloc(n / 4 + 2);
                if (out->hidden == NULL) {
                    free(buf);
                    return -1;
                }
            }
            out->hidden[out->hidden_len++] = (char)(cp - 0xE0000);
            continue;
        }
        char tmp[4];
        size_t k = pi_fold_codepoint(cp, flags, tmp);
        for (size_t j = 0; j < k; j++) {
            unsigned char c = (unsigned char)tmp[j];
            specials |= SCAN_HINTS[c] & 4; /* a fullwidth '<' folds to '<' */
            cased[w] = (char)c;
            lower[w] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : (char)c;
            w++;
        }
    }
    cased[w] = lower[w] = '\0';
    if (out->hidden != NULL) out->hidden[out->hidden_len] = '\0';
    out->cased = cased;
    out->lower = lower;
    out->len = w;
    out->max_b64_run = max_b64;
    out->max_hex_run = max_hex;
    out->has_specials = (specials & 4) != 0;
    return 0;
}

void pi_norm_free(pi_norm *nm) {
    if (nm == NULL) return;
    free(nm->cased); /* one allocation holds both views */
    free(nm->hidden);
    memset(nm, 0, sizeof(*nm));
}
