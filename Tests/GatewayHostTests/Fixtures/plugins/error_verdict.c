/* HOST MUST SAY: policy error "boom" in on_request; fail_closed blocks the request, fail_open lets it through */
#include "policy_abi.h"

#include <stddef.h>

static pab_rc create(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap) {
    (void)args, (void)err, (void)err_cap;
    static int instance; /* no state: any non-NULL pointer will do */
    *out = (pab_instance *)&instance;
    return PAB_OK;
}

static void destroy(pab_instance *inst) { (void)inst; }

static const pab_host_api *host_api;

static pab_verdict on_request(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_request *r) {
    (void)inst, (void)ex, (void)r;
    static const char reason[] = "boom";
    host_api->set_error(c, (pab_view){(const uint8_t *)reason, sizeof reason - 1});
    return PAB_VERDICT_ERROR;
}

static const pab_plugin descriptor = {
    .struct_size = sizeof(pab_plugin),
    .abi_major = PAB_ABI_MAJOR,
    .abi_minor = PAB_ABI_MINOR,
    .name = "error-verdict",
    .version = "1.0.0",
    .create = create,
    .destroy = destroy,
    .on_request = on_request,
};

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *host) {
    host_api = host; /* the host table lives for the whole process */
    return &descriptor;
}
