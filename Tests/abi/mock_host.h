/*
 * mock_host.h: an in-process PolicyABI v1 host for C unit tests and fuzz targets. Link it with a plugin's
 * sources (or dlopen the .so) and drive the plugin's hooks call by call; no gateway needed.
 *
 * Unlike Tests/abi/smoke_host.c (a command-line program that runs one fixed exchange), this is a library:
 * the caller builds each hook's text segments, calls the hook itself, then asks the mock what the plugin
 * did (deny answer, replaced segments, inserted deltas, tags) and whether it broke a rule of policy_abi.h.
 * It enforces what the real host enforces (gatewayhost's HostAPI.swift): replacements and inserted deltas
 * must be valid UTF-8, need the matching capability and the right hook; DENY needs deny(), MUTATE needs a
 * change; unknown verdicts are errors. Breaking one is a "violation", which a test or fuzzer fails on.
 *
 * v1.1 candidate targets: a test adds them with mh_add_candidate; on_request sees them (candidate_count /
 * get_candidate), exclude_candidate marks them (mh_excluded tells the reason). mh_api_v1_0 plays a v1.0 host.
 *
 * One pab_call plays one exchange: tags and candidates persist across its hooks; everything else is per hook.
 * Not thread-safe per call; the counters and the log are process-wide and locked.
 */
#ifndef MOCK_HOST_H
#define MOCK_HOST_H

#include "policy_abi.h"

#include <stddef.h>
#include <stdint.h>

#define MH_MAX_SEGS 64
#define MH_MAX_TAGS 64
#define MH_MAX_INSERTS 64
#define MH_MAX_CANDIDATES 16

/* Which hook the call currently plays. */
enum mh_hook { MH_CREATE, MH_BEGIN, MH_REQUEST, MH_RESPONSE, MH_CHUNK, MH_STREAM_END, MH_END };

/* A growable byte string (always NUL-terminated when p is non-NULL). */
typedef struct mh_buf {
    char *p;
    size_t n, cap;
} mh_buf;

void mh_buf_add(mh_buf *b, const void *bytes, size_t n);
void mh_buf_free(mh_buf *b);

typedef struct mh_seg {
    pab_segment_kind kind;
    const char *role; /* NUL-terminated; "" when unknown */
    const uint8_t *text;
    size_t len;
    uint32_t item, part;
    mh_buf replaced; /* the plugin's replacement */
    int has_replacement;
} mh_seg;

/* A candidate target (v1.1 get_candidate). The views in `c` are borrowed from the test until mh_call_free;
 * `c.excluded` starts as the test set it (1: "another policy excluded it") and becomes 1 on exclude_candidate. */
typedef struct mh_candidate {
    pab_candidate c;
    mh_buf reason; /* the reason of the last exclude_candidate */
    int excluded_here; /* exclude_candidate was called for it in this exchange */
} mh_candidate;

typedef struct mh_insert {
    uint32_t item, part;
    mh_buf text;
} mh_insert;

struct pab_call {
    enum mh_hook hook;
    uint64_t caps;      /* the plugin's capabilities (replace_* and insert_delta need them) */
    char policy[64];    /* the chain entry: tags are namespaced "<policy>.<key>" */
    const char *attrs[32]; /* by PAB_ATTR_* id; NULL: not set */
    mh_seg segs[MH_MAX_SEGS];
    uint32_t nsegs;
    char *tag_keys[MH_MAX_TAGS], *tag_values[MH_MAX_TAGS];
    uint32_t ntags;
    /* What the current hook did. */
    int denied;
    uint32_t deny_status;
    mh_buf deny_code, deny_message;
    int changed;
    mh_buf body; /* replace_body */
    mh_insert inserts[MH_MAX_INSERTS];
    uint32_t ninserts;
    char error[256];
    /* Rules broken so far (whole exchange) and the first one's description. */
    unsigned violations;
    char violation[256];
    /* v1.1 candidate targets of the exchange (shown in on_request only, as the real host does). */
    mh_candidate candidates[MH_MAX_CANDIDATES];
    uint32_t ncandidates;
};

struct pab_host_instance {
    char policy[64];
};

extern const pab_host_api mh_api;
/* The same host as a v1.0 gateway shows it: struct_size ends before candidate_count (PAB_HAS is false for
 * every v1.1 member, whose pointers are NULL). For testing a plugin's v1.0-host path. */
extern const pab_host_api mh_api_v1_0;

/* A new exchange for a plugin with capabilities `caps` (copy them from the descriptor). */
void mh_call_init(struct pab_call *c, const char *policy, uint64_t caps);
void mh_call_free(struct pab_call *c);
/* Starts hook `hook`: forgets the previous hook's segments and results (tags stay). */
void mh_hook_begin(struct pab_call *c, enum mh_hook hook);
/* Adds a text segment for the current hook; `text` is borrowed until the next mh_hook_begin. */
void mh_add_segment(struct pab_call *c, pab_segment_kind kind, const char *role, const void *text, size_t len,
                    uint32_t item, uint32_t part);
/* Adds a candidate target to the exchange (copied; its views stay borrowed until mh_call_free). */
void mh_add_candidate(struct pab_call *c, const pab_candidate *candidate);
/* The reason exclude_candidate gave for candidate `index` in this exchange (NUL-terminated), or NULL when the
 * plugin did not exclude it. */
const char *mh_excluded(const struct pab_call *c, uint32_t index);
/* Checks the verdict the hook returned against the rules above. 0, or -1 (a violation was recorded). */
int mh_hook_end(struct pab_call *c, pab_verdict v);
/* After mh_hook_end of an on_stream_chunk: appends what a client of choice `item` reads from this event
 * (inserted deltas first, then the event's own delta text as the plugin left it; nothing when dropped or
 * denied). */
void mh_client_text(const struct pab_call *c, pab_verdict v, uint32_t item, mh_buf *out);
/* The value of a tag by its full key, or NULL. */
const char *mh_tag(const struct pab_call *c, const char *key);
/* Records a violation (also used by the mock's own checks). */
void mh_violation(struct pab_call *c, const char *what);

/* Process-wide counters (summed over instances) and log lines. */
unsigned long long mh_counter(const char *name);
unsigned mh_logs_containing(const char *needle);
void mh_reset(void);

#endif /* MOCK_HOST_H */
