/*
 * pii_fragment.h: redaction of raw JSON text that arrives in pieces: the streamed fragments of tool-call
 * arguments (chat delta.tool_calls[j].function.arguments, a Responses function_call_arguments.delta).
 * Pure C, no plugin ABI: the plugin keeps one pii_json_lex per (item_index, part_index).
 *
 * Why not the hold-back of pii_stream.h: held text can only be released with insert_delta, which writes
 * message text, never tool-call arguments. So every fragment is redacted on its own, and a value cut across
 * two fragments is not recognised (README, Known limits).
 *
 * Why a lexer: the fragments are JSON source, not text. The client concatenates them and parses the
 * result, so a replacement must keep that JSON valid: it may only replace bytes inside a string (never an
 * escape sequence cut in half), and it is itself written JSON-escaped. The lexer state carries "inside a
 * string / inside an escape" from one fragment to the next.
 */
#ifndef PII_FRAGMENT_H
#define PII_FRAGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "pii_buf.h"
#include "pii_detect.h"
#include "pii_redact.h"
#include "pii_stream.h" /* pii_found */

typedef struct pii_json_lex {
    uint8_t in_string;    /* between the quotes of a JSON string */
    uint8_t escape;       /* bytes of an escape sequence still to come; 0xFF right after its backslash */
    uint8_t after_number; /* the last byte was part of a number outside any string */
} pii_json_lex;

/* Feeds one fragment: appends it to out with every match that lies inside one JSON string replaced by its
 * JSON-escaped redaction, and every match that is a whole bare number (outside strings) replaced by the
 * redaction as a JSON string. Counts every match into `found` (also those it could not replace: the
 * block decision needs them) and the unreplaced ones into *skipped. Returns 0, or -1 when memory ran out
 * (out and *lex are unchanged then). */
int pii_redact_json_fragment(const pii_config *cfg, const pii_redaction *r, pii_json_lex *lex, const char *text,
                             size_t len, pii_buf *out, pii_found *found, size_t *skipped);

#endif /* PII_FRAGMENT_H */
