/*
 * pii_buf.h: a growable byte buffer. Every output the detector produces (redacted text, held stream text,
 * messages) is built in one of these, so no fixed-size buffer can truncate personal data half-way.
 */
#ifndef PII_BUF_H
#define PII_BUF_H

#include <stddef.h>

typedef struct pii_buf {
    char *data; /* NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
} pii_buf;

/* All functions return 0 on success and -1 when memory ran out (the buffer then keeps its old content). */
int pii_buf_reserve(pii_buf *b, size_t extra);
int pii_buf_append(pii_buf *b, const char *bytes, size_t n);
int pii_buf_append_str(pii_buf *b, const char *s);
int pii_buf_append_byte(pii_buf *b, char c);
/* Removes the first n bytes (n <= len). */
void pii_buf_consume(pii_buf *b, size_t n);
void pii_buf_clear(pii_buf *b);
void pii_buf_free(pii_buf *b);

#endif /* PII_BUF_H */
