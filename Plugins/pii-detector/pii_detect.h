/*
 * pii_detect.h: the PII / secret detector core. Plain C11, libc only, no dependency on the plugin ABI.
 *
 *   pii_config cfg = { .types = PII_ALL_BUILTIN_TYPES };
 *   pii_match m[32];
 *   size_t n = pii_scan(&cfg, text, len, m, 32);   // typed byte spans, sorted, non-overlapping
 *
 * Detection is done by hand-written scanners (no regex engine): each entity has a grammar plus a validator
 * (Luhn and issuer prefixes for cards, the IBAN registry length/structure table and mod-97, SSA ranges for
 * SSNs, octet ranges for IPv4, RFC 4291 for IPv6, provider prefixes for API keys). Ambiguous shapes (phone
 * numbers without a strong format, bare 9-digit SSNs, 12-digit Maestro cards, AWS secret keys) need a
 * context word nearby. See README.md for the exact rules.
 *
 * THREADS: a pii_config is read-only during scans; any number of threads may scan with it at once.
 */
#ifndef PII_DETECT_H
#define PII_DETECT_H

#include <stddef.h>
#include <stdint.h>

/* Built-in entity types (the type of a pii_match). */
#define PII_EMAIL_ADDRESS 0u
#define PII_PHONE_NUMBER 1u
#define PII_CREDIT_CARD 2u
#define PII_IBAN_CODE 3u
#define PII_US_SSN 4u
#define PII_IP_ADDRESS 5u
#define PII_OPENAI_API_KEY 6u
#define PII_ANTHROPIC_API_KEY 7u
#define PII_AWS_ACCESS_KEY_ID 8u
#define PII_AWS_SECRET_ACCESS_KEY 9u
#define PII_GITHUB_TOKEN 10u
#define PII_SLACK_TOKEN 11u
#define PII_GOOGLE_API_KEY 12u
#define PII_JWT 13u
#define PII_PRIVATE_KEY 14u
#define PII_BUILTIN_COUNT 15u

/* Custom patterns (detect_patterns) have type PII_TYPE_CUSTOM_BASE + their index. */
#define PII_TYPE_CUSTOM_BASE 64u
#define PII_MAX_PATTERNS 32u
/* Size of an array indexed by any type id (built-in or custom). */
#define PII_TYPE_SLOTS (PII_TYPE_CUSTOM_BASE + PII_MAX_PATTERNS)

#define PII_TYPE_BIT(t) (1u << (t))
#define PII_ALL_BUILTIN_TYPES ((1u << PII_BUILTIN_COUNT) - 1u)
/* The API key / token / private key types, selectable together as "SECRETS". */
#define PII_SECRET_TYPES                                                                                   \
    (PII_TYPE_BIT(PII_OPENAI_API_KEY) | PII_TYPE_BIT(PII_ANTHROPIC_API_KEY) |                              \
     PII_TYPE_BIT(PII_AWS_ACCESS_KEY_ID) | PII_TYPE_BIT(PII_AWS_SECRET_ACCESS_KEY) |                       \
     PII_TYPE_BIT(PII_GITHUB_TOKEN) | PII_TYPE_BIT(PII_SLACK_TOKEN) | PII_TYPE_BIT(PII_GOOGLE_API_KEY) |   \
     PII_TYPE_BIT(PII_JWT) | PII_TYPE_BIT(PII_PRIVATE_KEY))

/* pii_match.flags */
/* A private key block without its -----END ... PRIVATE KEY----- line: the match runs to the end of the
 * scanned text (a truncated key is still a secret). */
#define PII_MATCH_UNTERMINATED 1u
/* The rest of a private key block whose beginning was already redacted (streaming only): redaction
 * writes no second label for it. */
#define PII_MATCH_CONTINUATION 2u

/* One finding: bytes [start, end) of the scanned text. */
typedef struct pii_match {
    size_t start;
    size_t end;
    uint32_t type;
    uint32_t flags;
} pii_match;

/* Custom pattern syntax (one element per character):
 *   #  one ASCII digit          @  one ASCII uppercase letter
 *   ?  one ASCII letter or digit  \x  the character x literally (for # @ ? \)
 *   anything else: itself, literally and case-sensitively.
 * A pattern that starts (ends) with a letter/digit element only matches at a word boundary on that side. */
#define PII_PATTERN_MAX 128u
#define PII_NAME_MAX 48u
typedef struct pii_pattern {
    char name[PII_NAME_MAX + 1];
    uint8_t kind[PII_PATTERN_MAX]; /* PII_PAT_* */
    uint8_t lit[PII_PATTERN_MAX];  /* the byte for PII_PAT_LITERAL */
    size_t len;                    /* number of elements */
} pii_pattern;
#define PII_PAT_LITERAL 0u
#define PII_PAT_DIGIT 1u
#define PII_PAT_UPPER 2u
#define PII_PAT_ALNUM 3u

/* What to detect. */
typedef struct pii_config {
    uint32_t types;              /* PII_TYPE_BIT(...) of the enabled built-in types */
    const pii_pattern *patterns; /* custom patterns, always enabled; may be NULL when pattern_count is 0 */
    size_t pattern_count;        /* <= PII_MAX_PATTERNS */
} pii_config;

/* Returned by pii_scan / pii_scan_from when memory ran out. */
#define PII_SCAN_ERROR ((size_t)-1)

/* Scan text[0, len) and write up to `cap` matches (sorted by start, non-overlapping) into `out`.
 * Returns the number of matches found, which may exceed `cap` (then only the first `cap` were written;
 * call again with a larger array), or PII_SCAN_ERROR. */
size_t pii_scan(const pii_config *cfg, const char *text, size_t len, pii_match *out, size_t cap);

/* Like pii_scan, but only matches starting at or after `from` are reported: text[0, from) is left context
 * (context words, word boundaries), e.g. text a stream already released. */
size_t pii_scan_from(const pii_config *cfg, const char *text, size_t len, size_t from, pii_match *out,
                     size_t cap);

/* Streaming: the smallest offset R >= from such that no entity can start before R and still grow or change
 * with text appended after `len`. Text [from, R) can be released once scanned; [R, len) must be held.
 * Precise rules are in pii_hold.c. */
size_t pii_hold_start(const pii_config *cfg, const char *text, size_t len, size_t from);

/* The name of a type: "EMAIL_ADDRESS", ..., or the custom pattern's name. "UNKNOWN" for anything else. */
const char *pii_type_name(const pii_config *cfg, uint32_t type);
/* The built-in type with this exact name, or -1. */
int pii_builtin_type_from_name(const char *name, size_t len);

/* Compile a custom pattern. Returns 0, or -1 with a NUL-terminated reason in err. */
int pii_pattern_compile(pii_pattern *out, const char *name, size_t name_len, const char *pattern,
                        size_t pattern_len, char *err, size_t err_cap);

/* Validators, exposed for tests and the quality benchmark. */
int pii_luhn_valid(const char *digits, size_t n);                    /* n ASCII digits */
int pii_iban_valid(const char *iban, size_t n);                      /* compact: no separators */
int pii_ssn_valid(unsigned area, unsigned group, unsigned serial);

#endif /* PII_DETECT_H */
