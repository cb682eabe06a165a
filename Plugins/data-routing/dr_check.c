/*
 * dr_check.c: does one candidate target meet the config's data requirements?
 *
 * The rules are those of the gateway's own providers.requirements (README, "Data policy"), so that a
 * requirement means the same whether an operator writes it there or in this policy:
 *  - a target that declares no data policy (neither `zdr` nor `data_policy`) meets none of the
 *    requirements that need one (zero data retention, no training, a retention limit);
 *  - zero data retention satisfies "no training" and any retention limit (nothing is kept);
 *  - with a retention limit, a declared target without retention_days (-1) fails: "unknown" is not
 *    "short enough";
 *  - allowed_regions is judged on the region alone, which a target may name without declaring a data
 *    policy; no region (an empty view) is never allowed. Names compare exactly, as the gateway does.
 * Pure functions of the read-only config and a borrowed candidate: safe on any number of threads.
 */
#include "dr_internal.h"

#include <stdio.h>
#include <string.h>

static const char *const reason_texts[DR_REASON_COUNT] = {
    "no data policy declared",     /* DR_FAIL_UNDECLARED */
    "no zero data retention",      /* DR_FAIL_ZDR */
    "no training opt-out",         /* DR_FAIL_TRAINING */
    "retention period undeclared", /* DR_FAIL_RETENTION_UNKNOWN */
    "retention over the limit",    /* DR_FAIL_RETENTION_LONG */
    "region not allowed",          /* DR_FAIL_REGION */
};

const char *dr_reason_text(unsigned index) { return index < DR_REASON_COUNT ? reason_texts[index] : "?"; }

static int region_allowed(const dr_config *cfg, pab_view region) {
    if (!cfg->regions) return 1;
    if (region.len == 0) return 0;
    for (size_t i = 0; i < cfg->region_count; i++)
        if (cfg->region_lens[i] == region.len && memcmp(cfg->regions[i], region.ptr, region.len) == 0) return 1;
    return 0;
}

unsigned dr_check(const dr_config *cfg, const pab_candidate *k) {
    unsigned bits = 0;
    if (!region_allowed(cfg, k->region)) bits |= DR_FAIL_REGION;
    if (!dr_config_needs_policy(cfg)) return bits;
    /* Without a declaration the promises below are unknown: one reason says it better than three. */
    if (!k->declared) return bits | DR_FAIL_UNDECLARED;
    int zdr = k->zero_data_retention != 0;
    if (cfg->require_zdr && !zdr) bits |= DR_FAIL_ZDR;
    /* require_zero_data_retention implies no training, but a target failing it already fails ZDR; the
     * training reason is given only when it was asked for, so it tells the operator something. */
    if (cfg->require_no_training && !zdr && !k->no_training) bits |= DR_FAIL_TRAINING;
    if (cfg->has_max_retention && !zdr) {
        if (k->retention_days < 0) bits |= DR_FAIL_RETENTION_UNKNOWN;
        else if (k->retention_days > cfg->max_retention_days) bits |= DR_FAIL_RETENTION_LONG;
    }
    return bits;
}

size_t dr_describe(unsigned bits, char *buf, size_t cap) {
    size_t used = 0;
    if (cap == 0) return 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < DR_REASON_COUNT; i++) {
        if (!(bits & (1u << i))) continue;
        int n = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", reason_texts[i]);
        if (n < 0) break;
        if ((size_t)n >= cap - used) return cap - 1; /* truncated, still terminated */
        used += (size_t)n;
    }
    return used;
}
