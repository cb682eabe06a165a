/* pi_tokens.c: tokenizer. Two steps: find raw word spans, then merge spaced-out letters, look words up
 * (with a leetspeak reading as fallback) and expand contractions. Character tests are table lookups:
 * this runs over every byte of every scanned message. */
#include "pi_tokens.h"

#include <stdlib.h>
#include <string.h>

/* Character classes. */
#define C_LETTER 0x01u /* a-z (the text is lower-cased) */
#define C_WORD 0x02u   /* letters, digits, bytes of non-ASCII characters */
#define C_LEET 0x04u   /* 0 1 3 4 5 7 @ $: letters in leetspeak */
#define C_SEP 0x08u    /* separators attackers put between single letters */
#define C_BREAK 0x10u  /* ! ? ; end a sentence wherever they are */
#define C_PUNCT 0x20u  /* punctuation that ends a clause right after a word */
#define C_CLOSE 0x40u  /* characters that may follow a full stop that ends a sentence */

/* The class bits of every byte (generated from the definitions above; const, so shared by all threads). */
static const uint8_t CLASS_TABLE[256] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x48, 0x30, 0x60, 0x00, 0x04, 0x00, 0x00, 0x68, 0x00, 0x60, 0x08, 0x08, 0x28, 0x08, 0x28, 0x08,
    0x06, 0x06, 0x02, 0x06, 0x06, 0x06, 0x02, 0x06, 0x02, 0x02, 0x20, 0x30, 0x00, 0x00, 0x20, 0x30,
    0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x08,
    0x00, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03,
    0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x00, 0x08, 0x20, 0x08, 0x00,
    0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
    0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
    0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
    0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
    0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
    0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
    0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
    0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
};

typedef struct span {
    uint32_t start, end;
} span;

static char leet_map(unsigned char c, int one_as_l) {
    switch (c) {
    case '0': return 'o';
    case '1': return one_as_l ? 'l' : 'i';
    case '3': return 'e';
    case '4': return 'a';
    case '5': return 's';
    case '7': return 't';
    case '@': return 'a';
    case '$': return 's';
    default: return (char)c;
    }
}

static int grow_tokens(pi_tokens *out) {
    size_t cap = out->cap ? out->cap * 2 : 64;
    pi_token *v = realloc(out->v, cap * sizeof(pi_token));
    if (v == NULL) return -1;
    out->v = v;
    out->cap = cap;
    return 0;
}

/* The capacity is reserved up front (one token per word span, plus room for contractions), so growing is
 * the rare path and the append stays inline. */
static inline int push(pi_tokens *out, pi_token t) {
    if (out->n == out->cap && grow_tokens(out) != 0) return -1;
    out->v[out->n++] = t;
    return 0;
}

/* Flags that come from the gap before a word: a line start or a sentence break. */
static uint32_t gap_flags(const uint8_t *cls, const char *s, size_t from, size_t to, int first) {
    uint32_t f = first ? (PI_TOK_LINE_START | PI_TOK_BREAK) : 0;
    for (size_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') {
            f |= PI_TOK_LINE_START | PI_TOK_BREAK;
        } else if (cls[c] & C_BREAK) {
            f |= PI_TOK_BREAK;
        } else if (c == '.' && i + 1 < to && (cls[(unsigned char)s[i + 1]] & C_CLOSE)) {
            /* "www.example.com" and "3.5" are not sentence ends: a full stop needs a space or quote after. */
            f |= PI_TOK_BREAK;
        }
    }
    return f;
}

/* Flags that come from the gap after a word: a colon, or punctuation / end right after it. */
static uint32_t after_flags(const uint8_t *cls, const char *s, size_t from, size_t len) {
    size_t i = from;
    while (i < len && s[i] == ' ') i++;
    if (i >= len) return PI_TOK_PUNCT_AFTER | PI_TOK_STOP_AFTER;
    unsigned char c = (unsigned char)s[i];
    return (c == ':' ? PI_TOK_COLON : 0) | ((cls[c] & C_PUNCT) ? PI_TOK_PUNCT_AFTER : 0) |
           ((c == ':' || c == '.' || c == '\n') ? PI_TOK_STOP_AFTER : 0);
}

static int all_caps(const char *cased, uint32_t start, uint32_t end) {
    int letters = 0;
    for (uint32_t i = start; i < end; i++) {
        unsigned char c = (unsigned char)cased[i];
        if (c >= 'a' && c <= 'z') return 0;
        if (c >= 'A' && c <= 'Z') letters++;
    }
    return letters >= 2;
}

/* Look a key up; a word that is not in the vocabulary but mixes letters and leetspeak characters is
 * tried in its leetspeak readings ('1' as i or l). */
static const pi_word *lookup(const pi_lexicon *lx, const uint8_t *cls, const char *raw, size_t n) {
    if (n >= PI_MAX_WORD) return NULL;
    const pi_word *w = pi_lexicon_find(lx, raw, n);
    if (w != NULL) return w;
    int has_letter = 0, has_leet = 0;
    for (size_t i = 0; i < n; i++) {
        has_letter |= cls[(unsigned char)raw[i]] & C_LETTER;
        has_leet |= cls[(unsigned char)raw[i]] & C_LEET;
    }
    if (!has_letter || !has_leet) return NULL;
    char key[PI_MAX_WORD];
    size_t ones[3], nones = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)raw[i];
        key[i] = leet_map(c, 0);
        if (c == '1' && nones < 3) ones[nones++] = i;
    }
    for (unsigned mask = 0; mask < (1u << nones); mask++) {
        for (size_t k = 0; k < nones; k++) key[ones[k]] = (mask >> k) & 1 ? 'l' : 'i';
        w = pi_lexicon_find(lx, key, n);
        if (w != NULL) return w;
    }
    return NULL;
}

/* Emit one word (with its contraction expanded). */
static int emit(const pi_lexicon *lx, const uint8_t *cls, pi_tokens *out, const char *key, size_t keylen,
                uint32_t start, uint32_t end, uint32_t before, uint32_t after, uint32_t extra) {
    const pi_word *w = lookup(lx, cls, key, keylen);
    if (w != NULL && w->expand[0] != 0) {
        pi_token a = {start, end, w->expand[0], before | extra, pi_lexicon_cls(lx, w->expand[0])};
        pi_token b = {start, end, w->expand[1], after | extra, pi_lexicon_cls(lx, w->expand[1])};
        return push(out, a) == 0 && push(out, b) == 0 ? 0 : -1;
    }
    pi_token t = {start, end, w ? w->id : 0, before | after | extra, w ? w->cls : 0};
    return push(out, t);
}

/* '@' and '$' are word characters only next to a letter ("h@ck", "$ystem"), not in "$5" or "a @ b". */
static int leet_sign_at(const uint8_t *cls, const char *s, size_t i, size_t len) {
    unsigned char c = (unsigned char)s[i];
    if (c != '@' && c != '$') return 0;
    return (i > 0 && (cls[(unsigned char)s[i - 1]] & C_LETTER)) ||
           (i + 1 < len && (cls[(unsigned char)s[i + 1]] & C_LETTER));
}

/* The table test inline (this runs for every byte); the rare '@' / '$' case out of line. */
#define IS_WORD_AT(cls, s, i, len) (((cls)[(unsigned char)(s)[i]] & C_WORD) || leet_sign_at(cls, s, i, len))

int pi_tokenize(const pi_lexicon *lx, const char *lower, const char *cased, size_t len, pi_tokens *out) {
    const uint8_t *cls = CLASS_TABLE;
    memset(out, 0, sizeof(*out));
    /* Step 1: raw word spans. An apostrophe between two word characters belongs to the word. */
    size_t nspans = 0, capspans = len / 4 + 16;
    span *spans = malloc(capspans * sizeof(span));
    if (spans == NULL) return -1;
    size_t i = 0;
    while (i < len) {
        if (!IS_WORD_AT(cls, lower, i, len)) {
            i++;
            continue;
        }
        size_t s = i;
        while (i < len) {
            if (IS_WORD_AT(cls, lower, i, len)) {
                i++;
            } else if (lower[i] == '\'' && i + 1 < len && (cls[(unsigned char)lower[i + 1]] & C_WORD)) {
                i++;
            } else {
                break;
            }
        }
        if (nspans == capspans) {
            capspans *= 2;
            span *v = realloc(spans, capspans * sizeof(span));
            if (v == NULL) {
                free(spans);
                return -1;
            }
            spans = v;
        }
        spans[nspans++] = (span){(uint32_t)s, (uint32_t)i};
    }
    out->cap = nspans + 8;
    out->v = malloc(out->cap * sizeof(pi_token));
    if (out->v == NULL) {
        free(spans);
        return -1;
    }
    /* Step 2: words. */
    char key[PI_MAX_WORD];
    for (size_t k = 0; k < nspans;) {
        size_t prev_end = k ? spans[k - 1].end : 0;
        uint32_t before = gap_flags(cls, lower, prev_end, spans[k].start, k == 0);
        /* A run of >= 3 single letters, each one separator apart, is one spaced-out word. */
        size_t run = 1;
        if (spans[k].end - spans[k].start == 1 && (cls[(unsigned char)lower[spans[k].start]] & (C_LETTER | C_LEET))) {
            while (k + run < nspans) {
                const span *p = &spans[k + run - 1], *q = &spans[k + run];
                if (q->end - q->start != 1 || q->start - p->end != 1) break;
                if (!(cls[(unsigned char)lower[p->end]] & C_SEP)) break;
                if (!(cls[(unsigned char)lower[q->start]] & (C_LETTER | C_LEET))) break;
                run++;
            }
        }
        if (run >= 3) {
            size_t keylen = 0;
            for (size_t r = 0; r < run && keylen < PI_MAX_WORD; r++) key[keylen++] = lower[spans[k + r].start];
            const span *last = &spans[k + run - 1];
            uint32_t after = after_flags(cls, lower, last->end, len);
            if (emit(lx, cls, out, key, keylen, spans[k].start, last->end, before, after, PI_TOK_SPACED) != 0)
                goto oom;
            k += run;
            continue;
        }
        const span *sp = &spans[k];
        size_t keylen = 0;
        for (uint32_t j = sp->start; j < sp->end && keylen < PI_MAX_WORD; j++) {
            if (lower[j] != '\'') key[keylen++] = lower[j];
        }
        uint32_t after = after_flags(cls, lower, sp->end, len);
        uint32_t extra = all_caps(cased, sp->start, sp->end) ? PI_TOK_UPPER : 0;
        if (emit(lx, cls, out, key, keylen, sp->start, sp->end, before, after, extra) != 0) goto oom;
        k++;
    }
    free(spans);
    return 0;
oom:
    free(spans);
    pi_tokens_free(out);
    return -1;
}

void pi_tokens_free(pi_tokens *t) {
    if (t == NULL) return;
    free(t->v);
    memset(t, 0, sizeof(*t));
}
