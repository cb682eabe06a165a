/*
 * dr_tests.c: unit tests of the data-routing plugin, driven hook by hook through the mock host
 * (Tests/abi/mock_host.c: candidates with mh_add_candidate, exclusions read back with mh_excluded; it also
 * enforces the ABI rules the gateway enforces, e.g. DENY only with deny()).
 *
 *   dr_tests [--so PATH/data-routing.so]
 *
 * This file holds the harness, the host-facing cases (a v1.0 host, a failing host function, many threads,
 * the shared object) and main; dr_rules_tests.c the requirements and answers.
 *
 * The plugin's sources are linked in; --so also loads the built shared object with dlopen and runs one
 * request through its exported entry point. The last line is "N passed, M failed".
 */
#define _POSIX_C_SOURCE 200809L
#include "dr_tests.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

int passed, failed;
pthread_mutex_t check_lock = PTHREAD_MUTEX_INITIALIZER;
const pab_plugin *plugin;

pab_view v(const char *s) { return (pab_view){(const uint8_t *)s, strlen(s)}; }

pab_instance *make_on(const pab_host_api *host, const char *config, char *err, size_t cap) {
    static struct pab_host_instance hi = {"data-routing"};
    pab_create_args a = {sizeof a, host, &hi, v("data-routing"), v(config)};
    pab_instance *inst = NULL;
    err[0] = '\0';
    return plugin->create(&a, &inst, err, cap) == PAB_OK ? inst : NULL;
}
pab_instance *make(const char *config, char *err, size_t cap) { return make_on(&mh_api, config, err, cap); }

pab_candidate target(const char *id, int declared, int zdr, int no_training, int64_t days, const char *region) {
    pab_candidate k = {.struct_size = sizeof k, .declared = (uint32_t)declared, .id = v(id), .provider = v("openai"),
                       .model = v("m"), .region = v(region), .zero_data_retention = (uint32_t)zdr,
                       .no_training = (uint32_t)(no_training || zdr), .retention_days = days};
    return k;
}

pab_verdict request(pab_instance *inst, struct pab_call *c, const pab_candidate *cands, size_t n) {
    mh_call_init(c, "data-routing", plugin->capabilities);
    for (size_t i = 0; i < n; i++) mh_add_candidate(c, &cands[i]);
    mh_hook_begin(c, MH_REQUEST);
    pab_request r = {sizeof r, PAB_API_CHAT_COMPLETIONS, {0}, {0}, {0}, {0}, 0, 0};
    pab_verdict verdict = plugin->on_request(inst, NULL, c, &r);
    CHECK(mh_hook_end(c, verdict) == 0, "ABI rule broken: %s", c->violation);
    return verdict;
}

int excluded_for(const struct pab_call *c, uint32_t i, const char *reason) {
    const char *got = mh_excluded(c, i);
    return reason ? got && strcmp(got, reason) == 0 : got == NULL;
}
const char *tag(const struct pab_call *c) {
    const char *t = mh_tag(c, "data-routing.excluded");
    return t ? t : "(none)";
}

/* The v1.0-host path: refused in create, with the reason. */
static void test_v1_0_host(void) {
    char err[512];
    pab_instance *inst = make_on(&mh_api_v1_0, "{\"require_zero_data_retention\":true}", err, sizeof err);
    CHECK(inst == NULL, "a v1.0 host must be refused");
    CHECK(strstr(err, "PolicyABI 1.0") && strstr(err, "needs 1.1") && strstr(err, "providers.requirements"),
          "message: %s", err);
    if (inst) plugin->destroy(inst);
}

/* A host function that fails where it should not makes the policy fail (closed), never route anyway. */
static pab_host_api failing_host;
static pab_rc refuse_exclusion(pab_call *c, uint32_t i, pab_view reason) {
    (void)c, (void)i, (void)reason;
    return PAB_ERR_INVALID;
}
static void test_host_failure(void) {
    failing_host = mh_api;
    failing_host.exclude_candidate = refuse_exclusion;
    char err[512];
    pab_instance *inst = make_on(&failing_host, "{\"require_zero_data_retention\":true}", err, sizeof err);
    CHECK(inst != NULL, "create: %s", err);
    if (!inst) return;
    const pab_candidate cands[] = {target("plain", 0, 0, 0, -1, "")};
    struct pab_call c;
    CHECK(request(inst, &c, cands, 1) == PAB_VERDICT_ERROR, "error verdict");
    CHECK(strstr(c.error, "exclude_candidate failed"), "set_error: %s", c.error);
    mh_call_free(&c);
    plugin->destroy(inst);
}

/* One instance, many threads (rule 2): the instance is read-only after create. */
static pab_instance *shared;
static void *worker(void *arg) {
    const pab_candidate cands[] = {target("zdr", 1, 1, 0, -1, "eu"), target("us", 1, 1, 0, -1, "us"),
                                   target("plain", 0, 0, 0, -1, "eu")};
    size_t first = (size_t)(uintptr_t)arg % 2; /* half the threads leave only non-compliant targets */
    for (int i = 0; i < 300; i++) {
        struct pab_call c;
        pab_verdict verdict = request(shared, &c, cands + first, 3 - first);
        if (first == 0) CHECK(verdict == PAB_VERDICT_ALLOW && strcmp(tag(&c), "2") == 0, "thread verdict");
        else CHECK(verdict == PAB_VERDICT_DENY && strcmp(tag(&c), "2") == 0, "thread verdict");
        mh_call_free(&c);
    }
    return NULL;
}
static void test_threads(void) {
    char err[512];
    shared = make("{\"allowed_regions\":[\"eu\"],\"require_zero_data_retention\":true}", err, sizeof err);
    CHECK(shared != NULL, "create: %s", err);
    if (!shared) return;
    pthread_t threads[8];
    for (uintptr_t i = 0; i < 8; i++) pthread_create(&threads[i], NULL, worker, (void *)i);
    for (int i = 0; i < 8; i++) pthread_join(threads[i], NULL);
    plugin->destroy(shared);
}

/* The built shared object, through the exported symbol only. */
static void test_shared_object(const char *path) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    CHECK(h != NULL, "dlopen %s: %s", path, dlerror());
    if (!h) return;
    pab_plugin_entry_fn entry;
    *(void **)&entry = dlsym(h, "pab_plugin_entry_v1"); /* POSIX: data-to-function pointer via the object */
    CHECK(entry != NULL, "no pab_plugin_entry_v1");
    const pab_plugin *saved = plugin;
    plugin = entry ? entry(&mh_api) : NULL;
    CHECK(plugin && !strcmp(plugin->name, "data-routing") && plugin->abi_minor == PAB_ABI_MINOR && plugin->config_schema_json,
          "descriptor");
    if (plugin) {
        char err[512];
        pab_instance *inst = make("{\"require_zero_data_retention\":true}", err, sizeof err);
        CHECK(inst != NULL, "create through the .so: %s", err);
        if (inst) {
            struct pab_call c;
            const pab_candidate cands[] = {target("plain", 0, 0, 0, -1, ""), target("zdr", 1, 1, 0, -1, "")};
            CHECK(request(inst, &c, cands, 2) == PAB_VERDICT_ALLOW && mh_excluded(&c, 0) && !mh_excluded(&c, 1),
                  "the .so excludes");
            mh_call_free(&c);
            CHECK(request(inst, &c, cands, 1) == PAB_VERDICT_DENY, "the .so blocks");
            mh_call_free(&c);
            plugin->destroy(inst);
        }
        CHECK(make_on(&mh_api_v1_0, "{}", err, sizeof err) == NULL, "the .so refuses a v1.0 host");
    }
    plugin = saved;
    dlclose(h);
}

int main(int argc, char **argv) {
    plugin = pab_plugin_entry_v1(&mh_api);
    if (!plugin) {
        printf("no descriptor\n0 passed, 1 failed\n");
        return 1;
    }
    test_config_errors();
    test_config_accepted();
    test_zero_data_retention();
    test_no_training();
    test_retention();
    test_regions();
    test_block_and_allow();
    test_other_exclusions();
    test_selection_log();
    test_v1_0_host();
    test_host_failure();
    test_threads();
    if (argc == 3 && !strcmp(argv[1], "--so")) test_shared_object(argv[2]);
    mh_reset();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
