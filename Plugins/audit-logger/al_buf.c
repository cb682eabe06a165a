/* al_buf.c: growable buffer and JSON text writers. */
#include "al_buf.h"

#include <stdlib.h>
#include <string.h>

void al_buf_free(al_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int al_buf_reserve(al_buf *b, size_t extra) {
    if (b->failed) return -1;
    if (b->cap - b->len >= extra) return 0;
    size_t want = b->len + extra;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < want) {
        if (cap > SIZE_MAX / 2) {
            b->failed = 1;
            return -1;
        }
        cap *= 2;
    }
    char *data = realloc(b->data, cap);
    if (!data) {
        b->failed = 1;
        return -1;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

void al_buf_add(al_buf *b, const void *data, size_t len) {
    if (len == 0 || al_buf_reserve(b, len) != 0) return;
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

void al_buf_add_str(al_buf *b, const char *s) { al_buf_add(b, s, strlen(s)); }

void al_buf_add_char(al_buf *b, char c) { al_buf_add(b, &c, 1); }

/* Length of the valid UTF-8 sequence at p[0..n), or 0 when it is not one (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). */
static size_t utf8_sequence(const uint8_t *p, size_t n) {
    uint8_t b0 = p[0];
    if (b0 < 0x80) return 1;
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) need = 2;
    else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 3;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 4;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;
    } else return 0;
    if (n < need) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < need; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    return need;
}

void al_buf_add_json_string(al_buf *b, const uint8_t *text, size_t len) {
    static const char hex[] = "0123456789abcdef";
    al_buf_add_char(b, '"');
    size_t run = 0; /* start of the pending run of bytes that need no escaping */
    size_t i = 0;
    while (i < len) {
        uint8_t c = text[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            continue;
        }
        size_t seq = c >= 0x80 ? utf8_sequence(text + i, len - i) : 0;
        if (seq > 0) {
            i += seq;
            continue;
        }
        al_buf_add(b, text + run, i - run);
        switch (c) {
        case '"': al_buf_add(b, "\\\"", 2); break;
        case '\\': al_buf_add(b, "\\\\", 2); break;
        case '\n': al_buf_add(b, "\\n", 2); break;
        case '\r': al_buf_add(b, "\\r", 2); break;
        case '\t': al_buf_add(b, "\\t", 2); break;
        default:
            if (c < 0x20) {
                char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                al_buf_add(b, esc, 6);
            } else {
                al_buf_add(b, "\xEF\xBF\xBD", 3); /* a byte that starts no valid UTF-8 sequence */
            }
        }
        i++;
        run = i;
    }
    al_buf_add(b, text + run, len - run);
    al_buf_add_char(b, '"');
}

void al_buf_add_uint(al_buf *b, uint64_t value) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value > 0);
    char out[24];
    for (int i = 0; i < n; i++) out[i] = digits[n - 1 - i];
    al_buf_add(b, out, (size_t)n);
}

void al_buf_add_usd(al_buf *b, double usd) {
    if (!(usd >= 0) || usd > 1e9) usd = usd > 1e9 ? 1e9 : 0; /* NaN and absurd values cannot reach here */
    uint64_t nanos = (uint64_t)(usd * 1e9 + 0.5);
    al_buf_add_uint(b, nanos / 1000000000u);
    uint64_t frac = nanos % 1000000000u;
    if (frac == 0) return;
    char digits[10];
    for (int i = 8; i >= 0; i--) {
        digits[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    int n = 9;
    while (n > 0 && digits[n - 1] == '0') n--;
    al_buf_add_char(b, '.');
    al_buf_add(b, digits, (size_t)n);
}
