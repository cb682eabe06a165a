/*
 * pii_glue.h: what the two halves of the ABI glue share: pii_plugin.c (descriptor, lifecycle, whole-body
 * hooks, tags and counters) and pii_plugin_stream.c (on_stream_chunk). Internal to the plugin; every
 * symbol is hidden by -fvisibility=hidden, only pab_plugin_entry_v1 is exported.
 */
#ifndef PII_GLUE_H
#define PII_GLUE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pii_detect.h"
#include "pii_fragment.h"
#include "pii_settings.h"
#include "pii_stream.h"
#include "policy_abi.h"

/* The segment kinds of PolicyABI v1.1. Built against a v1.0 header the plugin neither asks for them (no
 * PAB_CAP_EXTENDED_SEGMENTS, abi_minor 0) nor gets them; the constants are defined here only so that the
 * same sources compile against either header. */
#ifdef PAB_CAP_EXTENDED_SEGMENTS
#define PII_CAP_EXTENDED_SEGMENTS PAB_CAP_EXTENDED_SEGMENTS
#else
#define PII_CAP_EXTENDED_SEGMENTS 0u
#endif
/* v1.3: the hooks never block and take microseconds, so the host may call them on its event loops
 * (0 when built against an older header). */
#ifdef PAB_CAP_INLINE_SAFE
#define PII_CAP_INLINE_SAFE PAB_CAP_INLINE_SAFE
#else
#define PII_CAP_INLINE_SAFE 0u
#endif
#ifndef PAB_SEGMENT_TOOL_ARGUMENTS
#define PAB_SEGMENT_TOOL_ARGUMENTS 5u
#endif
#ifndef PAB_SEGMENT_REFUSAL
#define PAB_SEGMENT_REFUSAL 6u
#endif
#ifndef PAB_SEGMENT_TOOL_DESCRIPTION
#define PAB_SEGMENT_TOOL_DESCRIPTION 7u
#endif

/* A set of segment kinds (kinds are small integers). */
#define PII_KIND(k) (1u << (k))

#define COUNTER_NONE UINT32_MAX

struct pab_instance {
    pii_settings s; /* first: never moved after create (detect.patterns points into it) */
    const pab_host_api *host;
    pab_host_instance *hi;
    uint32_t c_matches;
    uint32_t c_redacted;
    uint32_t c_blocked;
    uint32_t c_released;
    uint32_t c_type[PII_TYPE_SLOTS];
};

/* Lexer state of one streamed tool call's argument fragments. */
typedef struct pii_fragment_state {
    uint32_t item, part;
    pii_json_lex lex;
} pii_fragment_state;

struct pab_exchange {
    pii_stream *streams; /* message text held back, per (item, part) */
    size_t nstreams;
    size_t cap;
    pii_fragment_state *frags; /* tool-call argument fragments, per (item, part) */
    size_t nfrags;
    size_t frags_cap;
    pii_found found; /* everything found in this exchange so far, for the tags */
    int blocked;
};

static inline pab_view pii_view(const char *s, size_t n) {
    pab_view v = {(const uint8_t *)s, n};
    return v;
}

static inline pab_view pii_cstr(const char *s) { return pii_view(s, strlen(s)); }

void pii_glue_log(pab_instance *inst, pab_log_level level, const char *msg);
void pii_glue_count(pab_instance *inst, uint32_t id, uint64_t n);
/* 1 when what was found must refuse the exchange (action block, or a card in pci_mode). */
int pii_glue_must_block(const pab_instance *inst, const pii_found *f);
/* Adds this call's findings to the exchange, updates tags and counters. */
void pii_glue_record(pab_instance *inst, pab_exchange *ex, pab_call *c, const pii_found *f, int blocked);
/* Records the deny answer (input_blocked / output_blocked) and returns DENY (ERROR when out of memory). */
pab_verdict pii_glue_deny(pab_instance *inst, pab_exchange *ex, pab_call *c, const pii_found *f, int request);
pab_verdict pii_glue_oom(pab_instance *inst, pab_call *c);
/* Scans text into a growing match array (free it). Returns 0 or -1 (out of memory). */
int pii_glue_scan(const pab_instance *inst, const char *t, size_t n, pii_match **m, size_t *count);

pab_verdict pii_on_stream_chunk(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_stream_chunk *k);

#endif /* PII_GLUE_H */
