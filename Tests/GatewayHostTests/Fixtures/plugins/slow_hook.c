/* HOST MUST SAY: policy error "timeout: ..." in on_request when sleep_ms > timeout_ms; ALLOW otherwise */
#define _POSIX_C_SOURCE 200809L
#include "pab_json.h"
#include "policy_abi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Config: {"sleep_ms": N} (integer 0..600000, default 1000). on_request sleeps N ms, then ALLOWs. The
 * sleep ignores the deadline on purpose: overrunning it is what the timeout tests need.
 * With "stuck_chunk": I (integer >= 0), on_request allows at once and on_stream_chunk sleeps N ms on the
 * event whose index is I (and allows every other event at once): a hook stuck in the middle of a stream.
 * With "end_sleeps": true, on_request allows at once and exchange_end sleeps N ms: a stuck exchange_end. */
typedef struct slow_instance {
    int64_t sleep_ms;
    int64_t stuck_chunk;
    int end_sleeps;
} slow_instance;

static pab_rc create(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap) {
    int64_t sleep_ms = 1000, stuck_chunk = -1;
    int end_sleeps = 0, rc;
    const char *problem = NULL;
    pab_json root;
    pab_json_error jerr;
    if (pab_json_parse((const char *)args->config_json.ptr, args->config_json.len, 0, &root, &jerr) != 0 ||
        root.type != PAB_JSON_OBJECT)
        problem = "config is not a JSON object";
    else if ((rc = pab_json_get_int(&root, "sleep_ms", 0, 600000, &sleep_ms)) != PAB_JSON_OK && rc != PAB_JSON_MISSING)
        problem = "sleep_ms must be an integer between 0 and 600000";
    else if ((rc = pab_json_get_int(&root, "stuck_chunk", 0, 1000000, &stuck_chunk)) != PAB_JSON_OK &&
             rc != PAB_JSON_MISSING)
        problem = "stuck_chunk must be an integer between 0 and 1000000";
    else if ((rc = pab_json_get_bool(&root, "end_sleeps", &end_sleeps)) != PAB_JSON_OK && rc != PAB_JSON_MISSING)
        problem = "end_sleeps must be a boolean";
    pab_json_free(&root);
    if (problem) {
        snprintf(err, err_cap, "%s", problem);
        return PAB_ERR_FAILED;
    }
    slow_instance *inst = malloc(sizeof *inst);
    if (!inst) {
        snprintf(err, err_cap, "out of memory");
        return PAB_ERR_FAILED;
    }
    inst->sleep_ms = sleep_ms;
    inst->stuck_chunk = stuck_chunk;
    inst->end_sleeps = end_sleeps;
    *out = (pab_instance *)inst;
    return PAB_OK;
}

static void destroy(pab_instance *inst) { free(inst); }

static void sleep_ms(int64_t ms) {
    struct timespec left = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
}

static pab_verdict on_request(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_request *r) {
    (void)ex, (void)c, (void)r;
    const slow_instance *s = (const slow_instance *)inst;
    if (s->stuck_chunk < 0 && !s->end_sleeps) sleep_ms(s->sleep_ms);
    return PAB_VERDICT_ALLOW;
}

static int exchange_token; /* the per-exchange pointer handed out: this fixture keeps no state */

static pab_rc exchange_begin(pab_instance *inst, pab_call *c, pab_exchange **out) {
    (void)inst, (void)c;
    *out = (pab_exchange *)&exchange_token;
    return PAB_OK;
}

static void exchange_end(pab_instance *inst, pab_exchange *ex, pab_call *c, pab_end_reason reason) {
    (void)ex, (void)c, (void)reason;
    const slow_instance *s = (const slow_instance *)inst;
    if (s->end_sleeps) sleep_ms(s->sleep_ms);
}

static pab_verdict on_stream_chunk(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_stream_chunk *k) {
    (void)ex, (void)c;
    const slow_instance *s = (const slow_instance *)inst;
    if (s->stuck_chunk >= 0 && k->index == (uint64_t)s->stuck_chunk) sleep_ms(s->sleep_ms);
    return PAB_VERDICT_ALLOW;
}

static const pab_plugin descriptor = {
    .struct_size = sizeof(pab_plugin),
    .abi_major = PAB_ABI_MAJOR,
    .abi_minor = PAB_ABI_MINOR,
    .name = "slow-hook",
    .version = "1.0.0",
    .description = "Test fixture: sleeps config sleep_ms in on_request (or in one stream event), then allows.",
    .create = create,
    .destroy = destroy,
    .exchange_begin = exchange_begin,
    .exchange_end = exchange_end,
    .on_request = on_request,
    .on_stream_chunk = on_stream_chunk,
};

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *host) {
    (void)host;
    return &descriptor;
}
