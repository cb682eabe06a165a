/* HOST MUST SAY: descriptor of 'no-create' has no create function (required) */
#include "policy_abi.h"

#include <stddef.h>

static void destroy(pab_instance *inst) { (void)inst; }

static pab_verdict on_request(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_request *r) {
    (void)inst, (void)ex, (void)c, (void)r;
    return PAB_VERDICT_ALLOW;
}

static const pab_plugin descriptor = {
    .struct_size = sizeof(pab_plugin),
    .abi_major = PAB_ABI_MAJOR,
    .abi_minor = PAB_ABI_MINOR,
    .name = "no-create",
    .version = "1.0.0",
    .create = NULL, /* the defect under test: create is required */
    .destroy = destroy,
    .on_request = on_request,
};

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *host) {
    (void)host;
    return &descriptor;
}
