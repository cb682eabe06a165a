/* al_json.h: the audit logger's glue to the plugins' shared JSON reader (Plugins/common/pab_json.h) and a
 * compactor that turns valid JSON into one line for the records it writes. */
#ifndef AL_JSON_H
#define AL_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "al_buf.h"

/* Declared, not included: this folder's headers are the SwiftPM target's public headers, and a module that
 * imports them must not need Plugins/common on its search path. The .c files include pab_json.h. */
typedef struct pab_json pab_json;

/* pab_json_parse (\u0000 refused: every string here ends up in C strings) with the message this plugin
 * has always given: "invalid JSON at byte N: what". Returns 0, or -1 with *out empty. */
int aj_parse(const char *text, size_t n, pab_json *out, char *err, size_t err_cap);
/* A number as a double. Returns 0, or -1 when v is NULL or not a number. */
int aj_number_double(const pab_json *v, double *out);
/* A number written as an integer ("42", "-7"; not "4.2", "42.0" or "1e3") that fits in int64. 0 or -1:
 * token counts and day counts are whole numbers, and a fraction there is a mistake worth refusing. */
int aj_number_int64(const pab_json *v, int64_t *out);
/* Appends `text` (which must be valid JSON) without the whitespace between tokens. */
void aj_compact(const char *text, size_t n, al_buf *out);

#endif
