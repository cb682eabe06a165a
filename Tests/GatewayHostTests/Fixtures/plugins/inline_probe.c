/* HOST MUST SAY: with PAB_CAP_INLINE_SAFE the hooks run on the exchange's own thread until a call takes
 * longer than the inline budget; from then on they run on the policy threads ("policy-N"). */
#define _GNU_SOURCE
#include "pab_json.h"
#include "policy_abi.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Config: {"slow_word": "...", "sleep_us": N}. on_request tags "thread" (the host shows "<policy>.thread") with the name of the
 * thread it runs on, and sleeps N µs first when the request body contains slow_word: a plugin that
 * breaks its inline promise. exchange_begin/end exist so that the whole exchange may run inline. */
typedef struct probe {
    const pab_host_api *host;
    char slow_word[64];
    int64_t sleep_us;
} probe;

static pab_view text(const char *s) { return (pab_view){(const uint8_t *)s, strlen(s)}; }

static pab_rc create(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap) {
    pab_json root;
    pab_json_error jerr;
    if (pab_json_parse((const char *)args->config_json.ptr, args->config_json.len, 0, &root, &jerr) != 0 ||
        root.type != PAB_JSON_OBJECT) {
        snprintf(err, err_cap, "config is not a JSON object");
        return PAB_ERR_FAILED;
    }
    probe *p = calloc(1, sizeof *p);
    if (!p) {
        pab_json_free(&root);
        snprintf(err, err_cap, "out of memory");
        return PAB_ERR_FAILED;
    }
    p->host = args->host;
    const pab_json *word = pab_json_get(&root, "slow_word");
    if (word && word->type == PAB_JSON_STRING) snprintf(p->slow_word, sizeof p->slow_word, "%s", word->str);
    int rc = pab_json_get_int(&root, "sleep_us", 0, 10000000, &p->sleep_us);
    pab_json_free(&root);
    if (rc != PAB_JSON_OK && rc != PAB_JSON_MISSING) {
        free(p);
        snprintf(err, err_cap, "sleep_us must be an integer between 0 and 10000000");
        return PAB_ERR_FAILED;
    }
    *out = (pab_instance *)p;
    return PAB_OK;
}

static void destroy(pab_instance *inst) { free(inst); }

static int contains(pab_view haystack, const char *needle) {
    size_t n = strlen(needle);
    if (n == 0 || haystack.len < n) return 0;
    for (size_t i = 0; i + n <= haystack.len; i++)
        if (memcmp(haystack.ptr + i, needle, n) == 0) return 1;
    return 0;
}

static pab_verdict on_request(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_request *r) {
    (void)ex;
    const probe *p = (const probe *)inst;
    if (contains(r->body, p->slow_word)) {
        struct timespec left = {(time_t)(p->sleep_us / 1000000), (long)(p->sleep_us % 1000000) * 1000L};
        while (nanosleep(&left, &left) != 0 && errno == EINTR) {
        }
    }
    char name[32] = "";
    pthread_getname_np(pthread_self(), name, sizeof name);
    if (p->host->set_tag(c, text("thread"), text(name[0] ? name : "unnamed")) != PAB_OK) {
        p->host->set_error(c, text("set_tag failed"));
        return PAB_VERDICT_ERROR;
    }
    return PAB_VERDICT_ALLOW;
}

static int exchange_token;

static pab_rc exchange_begin(pab_instance *inst, pab_call *c, pab_exchange **out) {
    (void)inst, (void)c;
    *out = (pab_exchange *)&exchange_token;
    return PAB_OK;
}

static void exchange_end(pab_instance *inst, pab_exchange *ex, pab_call *c, pab_end_reason reason) {
    (void)inst, (void)ex, (void)c, (void)reason;
}

static const pab_plugin descriptor = {
    .struct_size = sizeof(pab_plugin),
    .abi_major = PAB_ABI_MAJOR,
    .abi_minor = PAB_ABI_MINOR,
    .name = "inline-probe",
    .version = "1.0.0",
    .description = "test fixture: tags the thread its on_request runs on, sleeps on request",
    .capabilities = PAB_CAP_INLINE_SAFE,
    .create = create,
    .destroy = destroy,
    .on_request = on_request,
    .exchange_begin = exchange_begin,
    .exchange_end = exchange_end,
};

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *host) {
    (void)host;
    return &descriptor;
}
