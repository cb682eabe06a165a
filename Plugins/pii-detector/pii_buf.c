#include "pii_buf.h"

#include <stdlib.h>
#include <string.h>

int pii_buf_reserve(pii_buf *b, size_t extra) {
    if (extra > ((size_t)-1) / 2 - b->len) return -1;
    size_t need = b->len + extra + 1; /* + NUL */
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    char *p = realloc(b->data, cap);
    if (p == NULL) return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int pii_buf_append(pii_buf *b, const char *bytes, size_t n) {
    if (pii_buf_reserve(b, n) != 0) return -1;
    if (n > 0) memcpy(b->data + b->len, bytes, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int pii_buf_append_str(pii_buf *b, const char *s) { return pii_buf_append(b, s, strlen(s)); }

int pii_buf_append_byte(pii_buf *b, char c) { return pii_buf_append(b, &c, 1); }

void pii_buf_consume(pii_buf *b, size_t n) {
    if (n >= b->len) {
        pii_buf_clear(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

void pii_buf_clear(pii_buf *b) {
    b->len = 0;
    if (b->data != NULL) b->data[0] = '\0';
}

void pii_buf_free(pii_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}
