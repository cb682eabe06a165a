/*
 * fuzz_kb_config.c: the keyword-blocklist example's config reader (mini_json.h) and its create().
 *
 * Input: one JSON document, as the host would pass it to create as config_json.
 * Checks, beyond the sanitizers: every mj_get_* agrees with mj_is_object on whether the document is valid
 * (a reader that accepts a broken config in one function and not in another would let a typo through),
 * strings come back NUL-terminated at their reported length, and create either succeeds or explains why.
 */
#include "../../../Plugins/Examples/keyword-blocklist/keyword_blocklist.c"
#include "mock_host.h"

#include "fuzz_util.h"

static void check_consistent(const char *s, size_t n, int valid, int rc, const char *fn) {
    if (valid) FZ_CHECK(rc != MJ_MALFORMED, "%s: MALFORMED on a document mj_is_object accepts", fn);
    else FZ_CHECK(rc == MJ_MALFORMED, "%s: rc %d on a document mj_is_object refuses", fn, rc);
    (void)s, (void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* The host's config_json is also NUL-terminated; the plugin must still respect len. */
    char *json = fz_dup(data, size);
    const int valid = mj_is_object(json, size);
    static const char *const keys[] = {"keywords", "message", "status", "case_sensitive", "scan_roles", ""};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char *str = NULL;
        size_t len = 0;
        int rc = mj_get_string(json, size, keys[k], &str, &len);
        check_consistent(json, size, valid, rc, "mj_get_string");
        if (rc == MJ_OK) {
            FZ_CHECK(str[len] == '\0' && len <= size, "string not terminated at its length");
            free(str);
        }
        int b = 0;
        check_consistent(json, size, valid, mj_get_bool(json, size, keys[k], &b), "mj_get_bool");
        double d = 0;
        check_consistent(json, size, valid, mj_get_number(json, size, keys[k], &d), "mj_get_number");
        int64_t i = 0;
        rc = mj_get_int(json, size, keys[k], 400, 599, &i);
        check_consistent(json, size, valid, rc, "mj_get_int");
        if (rc == MJ_OK) FZ_CHECK(i >= 400 && i <= 599, "mj_get_int out of range: %lld", (long long)i);
        char **items = NULL;
        size_t *lens = NULL, count = 0;
        rc = mj_get_string_array(json, size, keys[k], &items, &lens, &count);
        check_consistent(json, size, valid, rc, "mj_get_string_array");
        if (rc == MJ_OK) {
            for (size_t e = 0; e < count; e++) FZ_CHECK(items[e][lens[e]] == '\0', "array item not terminated");
            mj_free_string_array(items, lens, count);
        }
    }
    static const char *const allowed[] = {"case_sensitive", "keywords", "message", "scan_output", "scan_roles", "status"};
    char bad[16];
    int rc = mj_check_keys(json, size, allowed, 6, bad, sizeof bad);
    check_consistent(json, size, valid, rc, "mj_check_keys");
    if (rc == MJ_WRONG_TYPE) FZ_CHECK(strlen(bad) < sizeof bad, "unknown key not truncated");

    /* create() as the host calls it. */
    struct pab_host_instance hi = {"keyword-blocklist"};
    pab_create_args args = {sizeof args, &mh_api, &hi, {(const uint8_t *)"keyword-blocklist", 17},
                            {(const uint8_t *)json, size}};
    pab_instance *inst = NULL;
    char err[256] = "";
    const pab_plugin *p = pab_plugin_entry_v1(&mh_api);
    if (p->create(&args, &inst, err, sizeof err) == PAB_OK) {
        FZ_CHECK(valid, "create accepted a malformed config");
        p->destroy(inst);
    } else {
        FZ_CHECK(err[0] != '\0', "create failed without a reason");
    }
    mh_reset(); /* the mock keeps log lines: drop them so that memory stays flat */
    free(json);
    return 0;
}
