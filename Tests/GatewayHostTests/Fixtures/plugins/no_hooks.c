/* HOST MUST SAY: descriptor of 'no-hooks' subscribes to nothing: set at least one hook or exchange_begin */
#include "policy_abi.h"

#include <stddef.h>

static pab_rc create(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap) {
    (void)args, (void)err, (void)err_cap;
    static int instance; /* no state: any non-NULL pointer will do */
    *out = (pab_instance *)&instance;
    return PAB_OK;
}

static void destroy(pab_instance *inst) { (void)inst; }

static const pab_plugin descriptor = {
    .struct_size = sizeof(pab_plugin),
    .abi_major = PAB_ABI_MAJOR,
    .abi_minor = PAB_ABI_MINOR,
    .name = "no-hooks",
    .version = "1.0.0",
    .create = create,
    .destroy = destroy,
    /* the defect under test: no exchange_begin/exchange_end and no on_* hook */
};

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *host) {
    (void)host;
    return &descriptor;
}
