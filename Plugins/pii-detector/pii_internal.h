/*
 * pii_internal.h: what the scanners share inside the detector core. Not part of the core's API.
 */
#ifndef PII_INTERNAL_H
#define PII_INTERNAL_H

#include "pii_detect.h"
#include "pii_text.h"

/* Candidate matches collected by the scanners before overlaps are resolved. Starts on a small inline
 * array so that ordinary texts never allocate. */
typedef struct pii_cands {
    pii_match *v;
    size_t n;
    size_t cap;
    int oom;
    pii_match inline_v[32];
} pii_cands;

void pii_cands_init(pii_cands *c);
void pii_cands_add(pii_cands *c, size_t start, size_t end, uint32_t type, uint32_t flags);
void pii_cands_free(pii_cands *c);

/* One scan: the text, where reportable matches may start, and what is enabled. */
typedef struct pii_scan_ctx {
    const char *t;
    size_t len;
    size_t from;
    const pii_config *cfg;
} pii_scan_ctx;

static inline int pii_enabled(const pii_scan_ctx *s, uint32_t type) { return (s->cfg->types & PII_TYPE_BIT(type)) != 0; }

/* 1 when an entity may start at i: the byte before it is not a word byte. */
static inline int pii_word_start(const char *t, size_t i) { return i == 0 || !pii_is_word((unsigned char)t[i - 1]); }

/* 1 when a number may start at i: a word start that does not continue a longer separated number such as
 * "1-123-45-6789" or the ".5" of "1.2.3.4.5". */
static inline int pii_number_start(const char *t, size_t i) {
    if (!pii_word_start(t, i)) return 0;
    if (i >= 2) {
        unsigned char p = (unsigned char)t[i - 1];
        if ((p == '-' || p == '.' || p == '/') && pii_is_digit((unsigned char)t[i - 2])) return 0;
    }
    return 1;
}

/* For spaced numbers (cards, phones, SSNs): also not the second group of a digit chain such as
 * "3704 0044 0532": a chain is considered from its first group only. */
static inline int pii_chain_start(const char *t, size_t i) {
    if (!pii_number_start(t, i)) return 0;
    return !(i >= 2 && t[i - 1] == ' ' && pii_is_digit((unsigned char)t[i - 2]));
}

/* 1 when an entity may end at `end`: the next byte is not a word byte. */
static inline int pii_word_end(const char *t, size_t len, size_t end) {
    return end >= len || !pii_is_word((unsigned char)t[end]);
}

/* Runs every enabled scanner over text[from, len) and adds all candidates, overlapping or not, to out
 * (check out->oom afterwards). pii_scan_from resolves them; the stream hold-back looks at all of them. */
void pii_collect(const pii_config *cfg, const char *text, size_t len, size_t from, pii_cands *out);

/* Scanners. Each looks for its entity starting at (or, for e-mail, around) position i and adds what it
 * finds to `out`. They are only called where their trigger byte is. */
void pii_scan_email(const pii_scan_ctx *s, size_t at, pii_cands *out);          /* at: the '@' */
void pii_scan_ipv4(const pii_scan_ctx *s, size_t i, pii_cands *out);
void pii_scan_ipv6(const pii_scan_ctx *s, size_t i, pii_cands *out);
void pii_scan_card(const pii_scan_ctx *s, size_t i, pii_cands *out);
void pii_scan_ssn(const pii_scan_ctx *s, size_t i, pii_cands *out);
void pii_scan_phone(const pii_scan_ctx *s, size_t i, pii_cands *out);
void pii_scan_iban(const pii_scan_ctx *s, size_t i, pii_cands *out);
void pii_scan_secret(const pii_scan_ctx *s, size_t i, pii_cands *out);          /* by first byte */
void pii_scan_aws_secret(const pii_scan_ctx *s, size_t i, pii_cands *out);
void pii_scan_private_key(const pii_scan_ctx *s, size_t i, pii_cands *out);     /* at "-----BEGIN" */
void pii_scan_patterns(const pii_scan_ctx *s, size_t i, pii_cands *out);

/* 1 when the n letters/digits in s (no separators) could still grow into a valid IBAN: a registered
 * country code, check digits, and a BBAN that fits the country's structure so far. */
int pii_iban_prefix_viable(const char *s, size_t n);

/* Matches custom pattern p at text[i]; returns the end offset or 0 when it does not match. */
size_t pii_pattern_match(const pii_pattern *p, const char *t, size_t len, size_t i);
/* 1 when text[i, len) is a proper prefix of what pattern p could match (used for stream hold-back). */
int pii_pattern_prefix(const pii_pattern *p, const char *t, size_t len, size_t i);

/* Context words. Each list is a NULL-terminated array of lowercase ASCII words; a word in the text matches
 * when it starts at a word boundary and begins with the list entry ("phone" matches "phones:"). */
typedef struct pii_context_hit {
    int found;
    size_t distance; /* bytes between the end of the word and the window's anchor */
} pii_context_hit;
/* The nearest listed word in text[max(0, anchor - window), anchor). */
pii_context_hit pii_context_before(const char *t, size_t anchor, size_t window, const char *const *words);
/* The first listed word in text[anchor, min(len, anchor + window)), skipping separators only. */
int pii_context_after(const char *t, size_t len, size_t anchor, size_t window, const char *const *words);

extern const char *const pii_ctx_phone[];
extern const char *const pii_ctx_phone_after[];
extern const char *const pii_ctx_phone_weak[];
extern const char *const pii_ctx_not_phone[];
extern const char *const pii_ctx_ssn[];
extern const char *const pii_ctx_card[];
extern const char *const pii_ctx_card_after[];
extern const char *const pii_ctx_version[];

#endif /* PII_INTERNAL_H */
