/*
 * pii_settings.h: the plugin's configuration, parsed from the canonical JSON the host passes to create.
 * Every key and default is documented in README.md. Unknown keys are errors that name the key.
 */
#ifndef PII_SETTINGS_H
#define PII_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "pii_detect.h"
#include "pii_redact.h"

#define PII_ACTION_REDACT 0u
#define PII_ACTION_BLOCK 1u

#define PII_HOLD_BACK_DEFAULT 8192u
#define PII_HOLD_BACK_MIN 64u
#define PII_HOLD_BACK_MAX 1048576u
#define PII_BLOCK_MESSAGE_MAX 512u

typedef struct pii_settings {
    pii_config detect; /* detect.patterns points into `patterns` below: never copy or move a parsed struct */
    pii_pattern patterns[PII_MAX_PATTERNS];
    pii_redaction redaction; /* redaction.marker[] points into `markers` below */
    char *markers[PII_TYPE_SLOTS];
    uint32_t action;       /* PII_ACTION_* */
    int pci_mode;          /* card numbers are always blocked */
    int scan_request;
    int scan_response;
    int include_metadata;  /* set tags with the types and counts found */
    char *block_message;   /* NULL: the default message; "{TYPES}" is replaced by the types found */
    size_t hold_back_max;
} pii_settings;

/* Parses the config object. Returns 0, or -1 with a NUL-terminated reason naming the offending key. On
 * success release with pii_settings_free. */
int pii_settings_parse(const char *json, size_t len, pii_settings *out, char *err, size_t err_cap);
void pii_settings_free(pii_settings *s);

#endif /* PII_SETTINGS_H */
