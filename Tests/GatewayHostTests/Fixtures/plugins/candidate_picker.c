/* HOST MUST SAY: nothing (a well-behaved v1.1 test plugin); it lists and excludes candidate targets. */
/*
 * candidate_picker.c: a test plugin ("candidate-picker"). In on_request it sets the tag "seen" to the
 * candidates as "id:zdr:region:retention" joined by ",", and excludes every candidate whose id starts with
 * "bad-" (reason "bad by name").
 */
#include "policy_abi.h"

#include <stdio.h>
#include <string.h>

static const pab_host_api *host;
static int instance_token;

static pab_rc create(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap) {
    (void)args, (void)err, (void)err_cap;
    *out = (pab_instance *)&instance_token;
    return PAB_OK;
}

static void destroy(pab_instance *inst) { (void)inst; }

static pab_verdict on_request(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_request *r) {
    (void)inst, (void)ex, (void)r;
    if (!PAB_HAS(host, pab_host_api, exclude_candidate)) return PAB_VERDICT_ALLOW;
    char seen[1024] = "";
    size_t used = 0;
    for (uint32_t i = 0; i < host->candidate_count(c); i++) {
        pab_candidate k = {.struct_size = sizeof k};
        if (host->get_candidate(c, i, &k) != PAB_OK) return PAB_VERDICT_ERROR;
        int n = snprintf(seen + used, sizeof seen - used, "%s%.*s:%u:%.*s:%lld", i ? "," : "", (int)k.id.len,
                         (const char *)k.id.ptr, k.zero_data_retention, (int)k.region.len, (const char *)k.region.ptr,
                         (long long)k.retention_days);
        if (n > 0 && (size_t)n < sizeof seen - used) used += (size_t)n;
        if (k.id.len >= 4 && memcmp(k.id.ptr, "bad-", 4) == 0) {
            host->exclude_candidate(c, i, (pab_view){(const uint8_t *)"bad by name", 11});
        }
    }
    host->set_tag(c, (pab_view){(const uint8_t *)"seen", 4}, (pab_view){(const uint8_t *)seen, used});
    return PAB_VERDICT_ALLOW;
}

static const pab_plugin descriptor = {
    .struct_size = sizeof(pab_plugin),
    .abi_major = PAB_ABI_MAJOR,
    .abi_minor = PAB_ABI_MINOR,
    .name = "candidate-picker",
    .version = "1.1.0",
    .description = "Test fixture: lists candidate targets and excludes the bad ones.",
    .create = create,
    .destroy = destroy,
    .on_request = on_request,
};

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *h) {
    host = h;
    return &descriptor;
}
