/* mock_host.h: a minimal PolicyABI host for the audit-logger tests (after Tests/abi/smoke_host.c).
 * Each mock_call is one exchange as exchange_end sees it: attributes, tags, and trap counters for every
 * host function that could reveal a header or a body (the plugin must never call them). */
#ifndef MOCK_HOST_H
#define MOCK_HOST_H

#include "policy_abi.h"

#define MOCK_MAX_TAGS 32

struct pab_call {
    const char *attrs[32]; /* by PAB_ATTR_* id; NULL: not set */
    const char *tag_keys[MOCK_MAX_TAGS];
    const char *tag_values[MOCK_MAX_TAGS];
    unsigned ntags;
    unsigned header_calls, segment_calls; /* must stay 0: the plugin reads no header and no body */
};

struct pab_host_instance {
    char policy[64];
};

/* The host table (thread-safe, as the real one). */
extern const pab_host_api mock_host;

/* A call with typical attributes of a completed chat exchange (status 200, one allow verdict). */
void mock_call_init(struct pab_call *c, const char *request_id);
void mock_call_tag(struct pab_call *c, const char *key, const char *value);

/* Counters and logs, summed over all instances. */
unsigned long long mock_counter(const char *name);
void mock_reset_counters(void);
/* Number of log lines containing `needle` since the last mock_reset_counters. */
unsigned mock_logs_containing(const char *needle);

#endif
