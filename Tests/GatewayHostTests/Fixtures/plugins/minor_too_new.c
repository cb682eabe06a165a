/* HOST MUST SAY: requires PolicyABI 1.<minor+1>; this gateway provides 1.<minor> (abi_minor = host minor + 1) */
#include "policy_abi.h"

#include <stddef.h>

static pab_rc create(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap) {
    (void)args, (void)err, (void)err_cap;
    static int instance; /* no state: any non-NULL pointer will do */
    *out = (pab_instance *)&instance;
    return PAB_OK;
}

static void destroy(pab_instance *inst) { (void)inst; }

static pab_verdict on_request(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_request *r) {
    (void)inst, (void)ex, (void)c, (void)r;
    return PAB_VERDICT_ALLOW;
}

static const pab_plugin descriptor = {
    .struct_size = sizeof(pab_plugin),
    .abi_major = PAB_ABI_MAJOR,
    .abi_minor = PAB_ABI_MINOR + 1,
    .name = "minor-too-new",
    .version = "1.0.0",
    .create = create,
    .destroy = destroy,
    .on_request = on_request,
};

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *host) {
    (void)host;
    return &descriptor;
}
