/*
 * dr_internal.h: what the data-routing plugin's files share (the parsed config and the compliance check).
 * Nothing here is exported from the shared object: it is built with -fvisibility=hidden, so these
 * functions are visible to the plugin's own files and its tests only.
 */
#ifndef DR_INTERNAL_H
#define DR_INTERNAL_H

#include "policy_abi.h"

#include <stddef.h>
#include <stdint.h>

/* The largest max_retention_days accepted: far beyond any real retention period, and small enough that
 * a JSON number converts to it exactly (pab_json reads numbers as doubles). */
#define DR_MAX_RETENTION_DAYS 2147483647

/* The policy's config, read-only after create: hooks of one instance run concurrently (rule 2), and an
 * instance nobody writes to needs no lock. */
typedef struct dr_config {
    int require_zdr;           /* require_zero_data_retention */
    int require_no_training;   /* require_no_training (zero data retention satisfies it too) */
    int has_max_retention;     /* max_retention_days was set */
    int64_t max_retention_days;
    char **regions;            /* allowed_regions; NULL means any region */
    size_t *region_lens;
    size_t region_count;
    int block;                 /* on_no_compliant_provider: 1 "block" (default), 0 "allow" */
    int log_selection;         /* log_provider_selection */
} dr_config;

/* Parses the canonical JSON config. 0 on success; -1 with a NUL-terminated message in err (truncated to
 * err_cap) that names the key and says what is wrong. On failure nothing needs freeing. */
int dr_config_parse(const char *json, size_t len, dr_config *out, char *err, size_t err_cap);
void dr_config_free(dr_config *cfg);
/* 1 when the config asks for something a target must declare (ZDR, no training, a retention limit). */
int dr_config_needs_policy(const dr_config *cfg);
/* The known key closest to `key` when it is plausibly a typo of it, else NULL. */
const char *dr_did_you_mean(const char *key, const char *const *known, size_t count);

/* Why a candidate fails the requirements: a bit per reason, 0 when it complies. Types only: the reasons
 * go to logs, to the host (which names them in its 503) and to clients, so they never carry data. */
enum {
    DR_FAIL_UNDECLARED = 1u << 0,     /* declares no data policy, and one is needed */
    DR_FAIL_ZDR = 1u << 1,            /* no zero data retention */
    DR_FAIL_TRAINING = 1u << 2,       /* does not opt out of training */
    DR_FAIL_RETENTION_UNKNOWN = 1u << 3, /* declares no retention period, and a limit is set */
    DR_FAIL_RETENTION_LONG = 1u << 4, /* keeps data longer than max_retention_days */
    DR_FAIL_REGION = 1u << 5,         /* its region (or the lack of one) is not allowed */
};
#define DR_REASON_COUNT 6

unsigned dr_check(const dr_config *cfg, const pab_candidate *k);
/* The text of reason bit number `index` (0..DR_REASON_COUNT-1). */
const char *dr_reason_text(unsigned index);
/* Writes the reasons in `bits` as "a, b" into buf (always NUL-terminated, truncated to cap). Returns the
 * length written. */
size_t dr_describe(unsigned bits, char *buf, size_t cap);

#endif /* DR_INTERNAL_H */
