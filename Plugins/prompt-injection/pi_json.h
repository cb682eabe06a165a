/* pi_json.h: a small, strict JSON reader for the policy config (RFC 8259: no comments, no trailing
 * commas, no NaN). The host hands canonical JSON, but the reader accepts any valid JSON so that the
 * plugin can be driven by hand and by tests. Values form a tree owned by one pj_doc. */
#ifndef PI_JSON_H
#define PI_JSON_H

#include <stddef.h>

#define PJ_NULL 0
#define PJ_BOOL 1
#define PJ_NUMBER 2
#define PJ_STRING 3
#define PJ_ARRAY 4
#define PJ_OBJECT 5

typedef struct pj_value pj_value;
typedef struct pj_member pj_member;

struct pj_value {
    int type;
    int boolean;
    double number;
    char *str;        /* PJ_STRING: UTF-8, NUL-terminated (an embedded \u0000 is refused) */
    size_t str_len;
    pj_value *items;  /* PJ_ARRAY */
    pj_member *members; /* PJ_OBJECT, in document order */
    size_t count;     /* items or members */
};

struct pj_member {
    char *key;
    pj_value value;
};

typedef struct pj_doc {
    pj_value root;
} pj_doc;

/* Parse n bytes. Returns 0, or -1 with a message naming the byte offset in err. */
int pj_parse(const char *text, size_t n, pj_doc *doc, char *err, size_t err_cap);
void pj_free(pj_doc *doc);
/* The member `key` of an object, or NULL. */
const pj_value *pj_get(const pj_value *obj, const char *key);
/* "null", "boolean", ... for messages. */
const char *pj_type_name(int type);

#endif
