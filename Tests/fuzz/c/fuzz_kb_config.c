/*
 * fuzz_kb_config.c: the keyword-blocklist example's config reader and its create().
 *
 * Input: one JSON document, as the host would pass it to create as config_json.
 * The example reads its config with the plugins' shared reader, Plugins/common/pab_json.h (it had its own
 * mini_json.h before); the #error below says so if that changes again.
 * Checks, beyond the sanitizers: the reader agrees with itself on whether a document is valid (a reader
 * that accepts a broken config in one function and not in another would let a typo through), strings come
 * back NUL-terminated at their reported length, integers stay in range, and create either succeeds (only
 * on valid JSON) or explains why.
 */
#include "../../../Plugins/Examples/keyword-blocklist/keyword_blocklist.c"
#include "mock_host.h"

#include "fuzz_util.h"

static const char *const keys[] = {"keywords", "message", "status", "case_sensitive", "scan_roles", ""};
static const char *const allowed[] = {"case_sensitive", "keywords", "message", "scan_output", "scan_roles", "status"};

#if defined(PAB_JSON_H)
#include "fuzz_pab_json.h"

static int check_reader(const char *json, size_t size) {
    pab_json_error e;
    fz_pab_json_check(json, size);
    /* create reads with PAB_JSON_ALLOW_NUL: keywords may hold NUL bytes. */
    pab_json root;
    if (pab_json_parse(json, size, PAB_JSON_ALLOW_NUL, &root, &e) != 0) return 0;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const char *str;
        size_t len;
        if (pab_json_get_string(&root, keys[k], &str, &len) == PAB_JSON_OK)
            FZ_CHECK(str[len] == '\0', "string not terminated at its length");
        int64_t i = 0;
        if (pab_json_get_int(&root, keys[k], 400, 599, &i) == PAB_JSON_OK)
            FZ_CHECK(i >= 400 && i <= 599, "get_int out of range: %lld", (long long)i);
        const pab_json *list;
        if (pab_json_get_strings(&root, keys[k], &list) == PAB_JSON_OK)
            for (size_t e3 = 0; e3 < list->count; e3++) FZ_CHECK(list->items[e3].type == PAB_JSON_STRING, "strings");
        int b;
        double d;
        (void)pab_json_get_bool(&root, keys[k], &b);
        (void)pab_json_get_number(&root, keys[k], &d);
    }
    const char *unknown = pab_json_unknown_key(&root, allowed, 6);
    if (unknown) FZ_CHECK(root.type == PAB_JSON_OBJECT, "an unknown key outside an object");
    pab_json_free(&root);
    return 1;
}
#else
#error "keyword_blocklist.c no longer includes pab_json.h: teach this target its JSON reader"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* The host's config_json is also NUL-terminated; the plugin must still respect len. */
    char *json = fz_dup(data, size);
    const int valid = check_reader(json, size);

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
