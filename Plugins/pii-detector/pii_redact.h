/*
 * pii_redact.h: how a match is replaced in the text.
 */
#ifndef PII_REDACT_H
#define PII_REDACT_H

#include <stddef.h>
#include <stdint.h>

#include "pii_buf.h"
#include "pii_detect.h"

/* pii_redaction.style */
#define PII_STYLE_LABEL 0u           /* "[EMAIL_ADDRESS]" from label_format */
#define PII_STYLE_ASTERISK 1u        /* "****" */
#define PII_STYLE_PARTIAL 2u         /* "****-****-****-1111": last 4 letters/digits kept */
#define PII_STYLE_PRESERVE_LENGTH 3u /* "****-****-****-****": every letter/digit masked, separators kept */

#define PII_LABEL_FORMAT_MAX 64u
#define PII_MARKER_MAX 64u

typedef struct pii_redaction {
    uint32_t style;
    /* Label text; "{TYPE}" is replaced by the type name. */
    char label_format[PII_LABEL_FORMAT_MAX + 1];
    /* Per-type replacement used instead of the style (custom_markers); NULL when not set. Points into
     * storage owned by whoever owns this struct. */
    const char *marker[PII_TYPE_SLOTS];
} pii_redaction;

/* Appends text[0, len) to out with each match (sorted, non-overlapping, inside [0, len)) replaced.
 * Returns 0, or -1 when memory ran out. */
int pii_redact_append(const pii_redaction *r, const pii_config *cfg, const char *text, size_t len,
                      const pii_match *m, size_t n, pii_buf *out);

/* Appends the replacement of one match (text[m->start, m->end)) to out. */
int pii_redact_one(const pii_redaction *r, const pii_config *cfg, const char *text, const pii_match *m,
                   pii_buf *out);

#endif /* PII_REDACT_H */
