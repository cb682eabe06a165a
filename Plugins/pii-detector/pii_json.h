/*
 * pii_json.h: a small, strict JSON reader (RFC 8259): objects, arrays, strings with every escape (including
 * surrogate pairs), numbers, true/false/null. Used for the plugin's config and to read the "type" of
 * streamed events. No locale dependence (numbers are converted by hand).
 */
#ifndef PII_JSON_H
#define PII_JSON_H

#include <stddef.h>
#include <stdint.h>

#define PII_JSON_NULL 0u
#define PII_JSON_BOOL 1u
#define PII_JSON_NUMBER 2u
#define PII_JSON_STRING 3u
#define PII_JSON_ARRAY 4u
#define PII_JSON_OBJECT 5u

typedef struct pii_json pii_json;
struct pii_json {
    uint32_t type;
    int boolean;
    double number;
    int is_integer;   /* NUMBER written without fraction or exponent */
    char *str;        /* STRING: unescaped UTF-8, NUL-terminated (may contain NUL bytes; use str_len) */
    size_t str_len;
    pii_json *items;  /* ARRAY / OBJECT values */
    char **keys;      /* OBJECT keys, unescaped, NUL-terminated */
    size_t *key_lens;
    size_t count;
};

/* Parses text[0, len) (one value, surrounding whitespace allowed). Returns 0, or -1 with a message such as
 * "offset 12: expected ':' after an object key" in err. On success free the result with pii_json_free. */
int pii_json_parse(const char *text, size_t len, pii_json *out, char *err, size_t err_cap);
void pii_json_free(pii_json *v);

/* The member `key` of an object, or NULL. */
const pii_json *pii_json_get(const pii_json *obj, const char *key);
/* "object", "array", ... for messages. */
const char *pii_json_type_name(uint32_t type);

/* Without building a tree: the value of the top-level member `key` of the JSON object in text, if it is a
 * string without escapes. Returns 1 and points *out (length *out_len) into text, else 0. */
int pii_json_top_level_string(const char *text, size_t len, const char *key, const char **out, size_t *out_len);

#endif /* PII_JSON_H */
