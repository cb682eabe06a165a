/* al_json.h: a small strict JSON reader (RFC 8259) for the plugin's config and for the usage and verdict
 * attributes, plus a compactor that turns valid JSON into one line. */
#ifndef AL_JSON_H
#define AL_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "al_buf.h"

#define AJ_NULL 0
#define AJ_BOOL 1
#define AJ_NUMBER 2
#define AJ_STRING 3
#define AJ_ARRAY 4
#define AJ_OBJECT 5

typedef struct aj_value aj_value;

struct aj_value {
    int type;
    int boolean;      /* AJ_BOOL */
    const char *raw;  /* AJ_NUMBER: the number's source text (inside the document's copy) */
    size_t raw_len;
    char *str;        /* AJ_STRING: unescaped UTF-8, NUL-terminated (\u0000 is refused) */
    size_t str_len;
    aj_value *items;  /* AJ_ARRAY items, AJ_OBJECT member values */
    char **keys;      /* AJ_OBJECT member keys (unescaped, NUL-terminated), in document order */
    size_t count;
};

typedef struct aj_doc {
    aj_value root;
    char *text; /* the document's own copy of the source */
} aj_doc;

/* Parses n bytes. Returns 0, or -1 with a message naming the byte offset in err. */
int aj_parse(const char *text, size_t n, aj_doc *doc, char *err, size_t err_cap);
void aj_free(aj_doc *doc);
/* The value of the LAST member named `key` of an object (like the host's parser), or NULL. */
const aj_value *aj_get(const aj_value *obj, const char *key);
/* "null", "a boolean", "a number", ... for messages. */
const char *aj_type_name(int type);
/* A number as a double, without the C locale's help (strtod reads "1.5" as 1 under some locales).
 * Returns 0, or -1 when the value is not a number. */
int aj_number_double(const aj_value *v, double *out);
/* A number written as an integer ("42", "-7"; not "4.2" or "1e3") that fits in int64. 0 or -1. */
int aj_number_int64(const aj_value *v, int64_t *out);
/* Appends `text` (which must be valid JSON) without the whitespace between tokens. */
void aj_compact(const char *text, size_t n, al_buf *out);

#endif
