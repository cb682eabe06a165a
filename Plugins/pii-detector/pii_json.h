/*
 * pii_json.h: the stream hook's allocation-free peek at one top-level string of an event. Everything else
 * (the config, whole events) is read with the plugins' shared strict reader, Plugins/common/pab_json.h.
 */
#ifndef PII_JSON_H
#define PII_JSON_H

#include <stddef.h>

/* Without building a tree: the value of the top-level member `key` of the JSON object in text, if it is a
 * string without escapes. Returns 1 and points *out (length *out_len) into text, else 0. Does not validate
 * the document (the host already did): a cheap test run on every stream event. */
int pii_json_top_level_string(const char *text, size_t len, const char *key, const char **out, size_t *out_len);

#endif /* PII_JSON_H */
