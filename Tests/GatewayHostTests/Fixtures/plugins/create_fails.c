/* HOST MUST SAY: policy 'create-fails': create failed: threshold must be between 0 and 1 */
#include "policy_abi.h"

#include <stddef.h>
#include <stdio.h>

/* create reports a config error the way real plugins must: PAB_ERR_FAILED plus a NUL-terminated reason
 * that names the key and says what is wrong. */
static pab_rc create(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap) {
    (void)args, (void)out;
    snprintf(err, err_cap, "threshold must be between 0 and 1");
    return PAB_ERR_FAILED;
}

static void destroy(pab_instance *inst) { (void)inst; }

static pab_verdict on_request(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_request *r) {
    (void)inst, (void)ex, (void)c, (void)r;
    return PAB_VERDICT_ALLOW;
}

static const pab_plugin descriptor = {
    .struct_size = sizeof(pab_plugin),
    .abi_major = PAB_ABI_MAJOR,
    .abi_minor = PAB_ABI_MINOR,
    .name = "create-fails",
    .version = "1.0.0",
    .create = create,
    .destroy = destroy,
    .on_request = on_request,
};

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *host) {
    (void)host;
    return &descriptor;
}
