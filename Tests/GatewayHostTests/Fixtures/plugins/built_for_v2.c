/* HOST MUST SAY: built for PolicyABI v2; this gateway supports PolicyABI v1 (no pab_plugin_entry_v1 symbol) */
#include "policy_abi.h"

#include <stddef.h>

/* What a future v2 plugin looks like from a v1 host: only the v2 entry symbol. The descriptor is never
 * read by a v1 host; it is here so the file is a complete, plausible plugin. */
PAB_EXPORT const pab_plugin *pab_plugin_entry_v2(const pab_host_api *host);

static pab_rc create(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap) {
    (void)args, (void)err, (void)err_cap;
    static int instance;
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
    .abi_major = 2,
    .abi_minor = 0,
    .name = "built-for-v2",
    .version = "1.0.0",
    .create = create,
    .destroy = destroy,
    .on_request = on_request,
};

const pab_plugin *pab_plugin_entry_v2(const pab_host_api *host) {
    (void)host;
    return &descriptor;
}
