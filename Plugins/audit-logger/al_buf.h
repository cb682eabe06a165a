/* al_buf.h: a growable byte buffer with the JSON writers the audit record needs. */
#ifndef AL_BUF_H
#define AL_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct al_buf {
    char *data;
    size_t len, cap;
    int failed; /* an allocation failed: the content is incomplete and must not be used */
} al_buf;

void al_buf_free(al_buf *b);
/* Makes room for `extra` more bytes; 0 on success, -1 (and b->failed) when memory ran out. */
int al_buf_reserve(al_buf *b, size_t extra);
void al_buf_add(al_buf *b, const void *data, size_t len);
void al_buf_add_str(al_buf *b, const char *s);
void al_buf_add_char(al_buf *b, char c);
/* A JSON string literal (with quotes) of `len` bytes of text. Invalid UTF-8 becomes U+FFFD and every
 * control character is escaped, so the result is always one valid line of JSON. */
void al_buf_add_json_string(al_buf *b, const uint8_t *text, size_t len);
void al_buf_add_uint(al_buf *b, uint64_t value);
/* A non-negative amount of US dollars rounded to 1e-9, in plain decimal notation (no exponent, no
 * locale): 0.0000015, 12.5, 0. */
void al_buf_add_usd(al_buf *b, double usd);

#endif
