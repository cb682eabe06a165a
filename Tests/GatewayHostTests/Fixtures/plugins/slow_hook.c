/* HOST MUST SAY: policy error "timeout: ..." in on_request when sleep_ms > timeout_ms; ALLOW otherwise */
#define _POSIX_C_SOURCE 200809L
#include "mini_json.h"
#include "policy_abi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Config: {"sleep_ms": N} (integer 0..600000, default 1000). on_request sleeps N ms, then ALLOWs. The
 * sleep ignores the deadline on purpose: overrunning it is what the timeout tests need. */
typedef struct slow_instance {
    int64_t sleep_ms;
} slow_instance;

static pab_rc create(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap) {
    int64_t sleep_ms = 1000;
    int rc = mj_get_int((const char *)args->config_json.ptr, args->config_json.len, "sleep_ms", 0, 600000, &sleep_ms);
    if (rc != MJ_OK && rc != MJ_MISSING) {
        snprintf(err, err_cap, "sleep_ms must be an integer between 0 and 600000");
        return PAB_ERR_FAILED;
    }
    slow_instance *inst = malloc(sizeof *inst);
    if (!inst) {
        snprintf(err, err_cap, "out of memory");
        return PAB_ERR_FAILED;
    }
    inst->sleep_ms = sleep_ms;
    *out = (pab_instance *)inst;
    return PAB_OK;
}

static void destroy(pab_instance *inst) { free(inst); }

static pab_verdict on_request(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_request *r) {
    (void)ex, (void)c, (void)r;
    int64_t ms = ((const slow_instance *)inst)->sleep_ms;
    struct timespec left = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
    return PAB_VERDICT_ALLOW;
}

static const pab_plugin descriptor = {
    .struct_size = sizeof(pab_plugin),
    .abi_major = PAB_ABI_MAJOR,
    .abi_minor = PAB_ABI_MINOR,
    .name = "slow-hook",
    .version = "1.0.0",
    .description = "Test fixture: sleeps config sleep_ms in on_request, then allows.",
    .create = create,
    .destroy = destroy,
    .on_request = on_request,
};

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *host) {
    (void)host;
    return &descriptor;
}
