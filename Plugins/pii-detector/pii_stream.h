/*
 * pii_stream.h: redaction of text that arrives in pieces (the deltas of one streamed output part), with a
 * bounded hold-back so that an entity cut across deltas is still caught. Pure C, no plugin ABI: the plugin
 * keeps one pii_stream per (item_index, part_index) and tests drive it directly.
 */
#ifndef PII_STREAM_H
#define PII_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "pii_buf.h"
#include "pii_detect.h"
#include "pii_redact.h"

/* Released bytes kept as left context (context words, word boundaries); longer than any context window. */
#define PII_STREAM_CTX 128u
/* In a private key block that outgrew the hold-back, this many trailing bytes stay held so that an END line
 * cut across deltas is still recognised. */
#define PII_STREAM_END_TAIL 48u

typedef struct pii_stream {
    uint32_t item;
    uint32_t part;
    pii_buf pending;            /* received, not yet released (original text) */
    char ctx[PII_STREAM_CTX];   /* the last released bytes (original text), for context only */
    size_t ctx_len;
    int in_private_key;         /* inside a key block whose start was already released redacted */
} pii_stream;

/* Findings, counted per type (built-in and custom ids). */
typedef struct pii_found {
    uint32_t count[PII_TYPE_SLOTS];
    uint32_t total;
} pii_found;

/* Feeds one delta. Appends the text that can be released now (redacted) to `release` and counts what was
 * redacted in it into `found`. With `final` set (end of the part), everything is released. `hold_max`
 * bounds the held bytes: beyond it, the oldest bytes are released anyway (after redacting whatever they
 * contain). Returns 0, or -1 when memory ran out (nothing was released then). */
int pii_stream_feed(pii_stream *s, const pii_config *cfg, const pii_redaction *r, size_t hold_max, const char *delta,
                    size_t len, int final, pii_buf *release, pii_found *found);

/* Frees the held text. */
void pii_stream_free(pii_stream *s);

#endif /* PII_STREAM_H */
