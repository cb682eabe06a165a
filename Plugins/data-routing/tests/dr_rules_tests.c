/*
 * dr_rules_tests.c: the data-routing rules, through on_request and the mock host: config errors, each
 * requirement, undeclared targets, regions, block vs allow, other policies' exclusions, the selection log.
 */
#define _POSIX_C_SOURCE 200809L
#include "dr_tests.h"

#include <string.h>

void test_config_errors(void) {
    static const struct { const char *config, *expect; } cases[] = {
        {"{\"require_zero_data_retentoin\":true}",
         "unknown config key 'require_zero_data_retentoin' (did you mean 'require_zero_data_retention'?)"},
        {"{\"zdr\":true}", "unknown config key 'zdr' (did you mean 'require_zero_data_retention'?)"},
        {"{\"zero_data_retention\":true}", "(did you mean 'require_zero_data_retention'?)"},
        {"{\"no_training\":true}", "(did you mean 'require_no_training'?)"},
        {"{\"regions\":[\"eu\"]}", "(did you mean 'allowed_regions'?)"},
        {"{\"max_retention_day\":3}", "(did you mean 'max_retention_days'?)"},
        {"{\"colour\":1}", "unknown config key 'colour'; known keys: allowed_regions, log_provider_selection"},
        {"{\"require_zero_data_retention\":\"yes\"}", "require_zero_data_retention must be true or false"},
        {"{\"require_no_training\":1}", "require_no_training must be true or false"},
        {"{\"log_provider_selection\":[]}", "log_provider_selection must be true or false"},
        {"{\"max_retention_days\":-1}", "max_retention_days must be a whole number of days from 0"},
        {"{\"max_retention_days\":1.5}", "max_retention_days must be a whole number"},
        {"{\"max_retention_days\":\"30\"}", "max_retention_days must be a whole number"},
        {"{\"max_retention_days\":3000000000}", "max_retention_days must be a whole number"},
        {"{\"allowed_regions\":[]}", "allowed_regions must be a non-empty list of region names"},
        {"{\"allowed_regions\":\"eu\"}", "allowed_regions must be a non-empty list"},
        {"{\"allowed_regions\":[\"eu\",1]}", "allowed_regions must be a non-empty list"},
        {"{\"allowed_regions\":[\"eu\",\"\"]}", "allowed_regions[1] is empty"},
        {"{\"on_no_compliant_provider\":\"blok\"}",
         "on_no_compliant_provider is 'blok' (did you mean 'block'?); use \"block\" or \"allow\""},
        {"{\"on_no_compliant_provider\":\"deny\"}", "on_no_compliant_provider is 'deny'; use \"block\" or \"allow\""},
        {"{\"on_no_compliant_provider\":true}", "on_no_compliant_provider must be \"block\" or \"allow\""},
        {"{\"require_no_training\":true", "the config is not a JSON object"},
        {"[true]", "the config is not a JSON object"},
    };
    char err[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pab_instance *inst = make(cases[i].config, err, sizeof err);
        CHECK(inst == NULL && strstr(err, cases[i].expect) != NULL, "%s: got '%s'", cases[i].config, err);
        if (inst) plugin->destroy(inst);
    }
    /* A tiny error buffer is truncated, never overrun (ASan watches). */
    char tiny[8];
    CHECK(make("{\"zdr\":true}", tiny, sizeof tiny) == NULL && strlen(tiny) == 7, "err not truncated");
    /* Control bytes of a key never reach the message raw. */
    CHECK(make("{\"a\\u0001b\":1}", err, sizeof err) == NULL && strstr(err, "'a?b'"), "got '%s'", err);
}

void test_config_accepted(void) {
    char err[512];
    mh_reset();
    pab_instance *inst = make("{}", err, sizeof err);
    CHECK(inst != NULL, "empty config: %s", err);
    CHECK(mh_logs_containing("no requirement configured") == 1, "a no-op config is logged as such");
    if (inst) plugin->destroy(inst);
    inst = make("{\"allowed_regions\":[\"eu\",\"us\"],\"log_provider_selection\":false,\"max_retention_days\":30,"
                "\"on_no_compliant_provider\":\"allow\",\"require_no_training\":true,"
                "\"require_zero_data_retention\":false}", err, sizeof err);
    CHECK(inst != NULL, "full config: %s", err);
    if (inst) plugin->destroy(inst);
    /* null is a missing key (YAML `max_retention_days: ~`). */
    inst = make("{\"max_retention_days\":null,\"require_zero_data_retention\":true}", err, sizeof err);
    CHECK(inst != NULL, "null value: %s", err);
    if (inst) plugin->destroy(inst);
}

void test_zero_data_retention(void) {
    char err[512];
    pab_instance *inst = make("{\"require_zero_data_retention\":true}", err, sizeof err);
    CHECK(inst != NULL, "create: %s", err);
    if (!inst) return;
    const pab_candidate cands[] = {
        target("undeclared", 0, 0, 0, -1, ""),
        target("trains", 1, 0, 0, 30, "eu"),
        target("opt-out", 1, 0, 1, 0, "eu"),
        target("zdr", 1, 1, 0, -1, "eu"),
    };
    struct pab_call c;
    CHECK(request(inst, &c, cands, 4) == PAB_VERDICT_ALLOW, "a compliant target is left");
    CHECK(excluded_for(&c, 0, "no data policy declared"), "undeclared: %s", mh_excluded(&c, 0));
    CHECK(excluded_for(&c, 1, "no zero data retention"), "trains: %s", mh_excluded(&c, 1));
    CHECK(excluded_for(&c, 2, "no zero data retention"), "opt-out is not ZDR: %s", mh_excluded(&c, 2));
    CHECK(excluded_for(&c, 3, NULL), "zdr kept");
    CHECK(strcmp(tag(&c), "3") == 0, "tag %s", tag(&c));
    mh_call_free(&c);
    plugin->destroy(inst);
}

void test_no_training(void) {
    char err[512];
    pab_instance *inst = make("{\"require_no_training\":true}", err, sizeof err);
    CHECK(inst != NULL, "create: %s", err);
    if (!inst) return;
    pab_candidate cands[] = {
        target("trains", 1, 0, 0, 30, ""), target("opt-out", 1, 0, 1, -1, ""), target("zdr", 1, 1, 0, -1, ""),
        target("undeclared", 0, 0, 0, -1, "eu"),
    };
    cands[2].no_training = 0; /* zero data retention implies no training even when a host does not say so */
    struct pab_call c;
    CHECK(request(inst, &c, cands, 4) == PAB_VERDICT_ALLOW, "verdict");
    CHECK(excluded_for(&c, 0, "no training opt-out"), "trains: %s", mh_excluded(&c, 0));
    CHECK(excluded_for(&c, 1, NULL) && excluded_for(&c, 2, NULL), "opt-out and zdr kept");
    CHECK(excluded_for(&c, 3, "no data policy declared"), "undeclared: %s", mh_excluded(&c, 3));
    CHECK(strcmp(tag(&c), "2") == 0, "tag %s", tag(&c));
    mh_call_free(&c);
    plugin->destroy(inst);
}

void test_retention(void) {
    char err[512];
    pab_instance *inst = make("{\"max_retention_days\":30}", err, sizeof err);
    CHECK(inst != NULL, "create: %s", err);
    if (!inst) return;
    const pab_candidate cands[] = {
        target("d30", 1, 0, 0, 30, ""), target("d31", 1, 0, 0, 31, ""), target("unknown", 1, 0, 1, -1, ""),
        target("zdr-unknown", 1, 1, 0, -1, ""), target("undeclared", 0, 0, 0, -1, ""), target("d0", 1, 0, 0, 0, ""),
    };
    struct pab_call c;
    CHECK(request(inst, &c, cands, 6) == PAB_VERDICT_ALLOW, "verdict");
    CHECK(excluded_for(&c, 0, NULL) && excluded_for(&c, 5, NULL), "30 and 0 days kept");
    CHECK(excluded_for(&c, 1, "retention over the limit"), "31 days: %s", mh_excluded(&c, 1));
    CHECK(excluded_for(&c, 2, "retention period undeclared"), "-1: %s", mh_excluded(&c, 2));
    CHECK(excluded_for(&c, 3, NULL), "zero data retention keeps nothing: no limit applies");
    CHECK(excluded_for(&c, 4, "no data policy declared"), "undeclared: %s", mh_excluded(&c, 4));
    mh_call_free(&c);
    plugin->destroy(inst);

    inst = make("{\"max_retention_days\":0}", err, sizeof err);
    CHECK(inst != NULL, "create: %s", err);
    if (!inst) return;
    CHECK(request(inst, &c, cands, 6) == PAB_VERDICT_ALLOW, "verdict");
    CHECK(excluded_for(&c, 5, NULL) && excluded_for(&c, 3, NULL), "0 days and ZDR meet a limit of 0");
    CHECK(excluded_for(&c, 0, "retention over the limit"), "30 days: %s", mh_excluded(&c, 0));
    mh_call_free(&c);
    plugin->destroy(inst);
}

void test_regions(void) {
    char err[512];
    pab_instance *inst = make("{\"allowed_regions\":[\"eu\",\"eu-west-1\"]}", err, sizeof err);
    CHECK(inst != NULL, "create: %s", err);
    if (!inst) return;
    const pab_candidate cands[] = {
        target("eu", 1, 1, 0, -1, "eu"),         target("west", 1, 0, 0, 90, "eu-west-1"),
        target("upper", 1, 1, 0, -1, "EU"),      target("us", 1, 1, 0, -1, "us"),
        target("no-region", 1, 1, 0, -1, ""),    target("undeclared-eu", 0, 0, 0, -1, "eu"),
        target("undeclared", 0, 0, 0, -1, ""),
    };
    struct pab_call c;
    CHECK(request(inst, &c, cands, 7) == PAB_VERDICT_ALLOW, "verdict");
    CHECK(excluded_for(&c, 0, NULL) && excluded_for(&c, 1, NULL), "listed regions kept");
    CHECK(excluded_for(&c, 2, "region not allowed"), "names compare exactly: %s", mh_excluded(&c, 2));
    CHECK(excluded_for(&c, 3, "region not allowed"), "us: %s", mh_excluded(&c, 3));
    CHECK(excluded_for(&c, 4, "region not allowed"), "no region is never allowed: %s", mh_excluded(&c, 4));
    /* A regions-only config judges undeclared targets on their region alone, as providers.requirements does. */
    CHECK(excluded_for(&c, 5, NULL), "an undeclared target in an allowed region is kept");
    CHECK(excluded_for(&c, 6, "region not allowed"), "undeclared without a region fails on region: %s",
          mh_excluded(&c, 6));
    CHECK(strcmp(tag(&c), "4") == 0, "tag %s", tag(&c));
    mh_call_free(&c);
    plugin->destroy(inst);

    inst = make("{\"allowed_regions\":[\"eu\"],\"require_zero_data_retention\":true}", err, sizeof err);
    CHECK(inst != NULL, "create: %s", err);
    if (!inst) return;
    CHECK(request(inst, &c, cands, 7) == PAB_VERDICT_ALLOW, "verdict");
    CHECK(excluded_for(&c, 1, "no zero data retention, region not allowed"), "both reasons: %s", mh_excluded(&c, 1));
    CHECK(excluded_for(&c, 5, "no data policy declared"), "undeclared fails ZDR: %s", mh_excluded(&c, 5));
    CHECK(excluded_for(&c, 6, "no data policy declared, region not allowed"), "%s", mh_excluded(&c, 6));
    mh_call_free(&c);
    plugin->destroy(inst);
}

void test_block_and_allow(void) {
    char err[512];
    const pab_candidate none_ok[] = {
        target("internal-a", 1, 0, 1, 30, "us"), target("internal-b", 0, 0, 0, -1, ""),
        target("internal-c", 1, 0, 0, -1, "eu"),
    };
    struct pab_call c;
    pab_instance *inst = make("{\"require_zero_data_retention\":true}", err, sizeof err);
    CHECK(inst != NULL, "create: %s", err);
    if (!inst) return;
    unsigned long long blocked = mh_counter("blocked_requests"), excluded = mh_counter("excluded_candidates");
    CHECK(request(inst, &c, none_ok, 3) == PAB_VERDICT_DENY, "block is the default");
    CHECK(c.deny_status == 409 && c.deny_code.p && strcmp(c.deny_code.p, "no_compliant_provider") == 0,
          "answer %u %s", c.deny_status, c.deny_code.p ? c.deny_code.p : "");
    const char *msg = c.deny_message.p ? c.deny_message.p : "";
    CHECK(strstr(msg, "3 candidate target(s) excluded (no data policy declared: 1; no zero data retention: 2)"),
          "message: %s", msg);
    CHECK(!strstr(msg, "internal-"), "the client never learns target ids: %s", msg);
    CHECK(strcmp(tag(&c), "3") == 0 && mh_excluded(&c, 0) && mh_excluded(&c, 1) && mh_excluded(&c, 2),
          "excluded and tagged anyway");
    CHECK(mh_counter("blocked_requests") == blocked + 1 && mh_counter("excluded_candidates") == excluded + 3,
          "counters");
    mh_call_free(&c);
    plugin->destroy(inst);

    inst = make("{\"on_no_compliant_provider\":\"allow\",\"require_zero_data_retention\":true}", err, sizeof err);
    CHECK(inst != NULL, "create: %s", err);
    if (!inst) return;
    CHECK(request(inst, &c, none_ok, 3) == PAB_VERDICT_ALLOW && !c.denied, "allow leaves the answer to routing");
    CHECK(strcmp(tag(&c), "3") == 0 && mh_excluded(&c, 0) && mh_excluded(&c, 1) && mh_excluded(&c, 2),
          "every candidate excluded: routing answers 503 no_available_target");
    mh_call_free(&c);
    plugin->destroy(inst);
}

/* What other policies excluded first, and exchanges with no candidates at all. */
void test_other_exclusions(void) {
    char err[512];
    const char *config = "{\"log_provider_selection\":true,\"require_zero_data_retention\":true}";
    pab_instance *inst = make(config, err, sizeof err);
    CHECK(inst != NULL, "create: %s", err);
    if (!inst) return;
    struct pab_call c;
    CHECK(request(inst, &c, NULL, 0) == PAB_VERDICT_ALLOW, "no candidates (unknown model): routing answers");
    CHECK(strcmp(tag(&c), "0") == 0, "tag %s", tag(&c));
    mh_call_free(&c);

    pab_candidate cands[] = {target("zdr", 1, 1, 0, -1, "eu"), target("plain", 0, 0, 0, -1, "")};
    cands[0].excluded = 1;
    CHECK(request(inst, &c, cands, 2) == PAB_VERDICT_DENY, "the only compliant target is excluded elsewhere");
    CHECK(excluded_for(&c, 0, NULL), "another policy's exclusion (and its reason) is left alone");
    CHECK(excluded_for(&c, 1, "no data policy declared"), "%s", mh_excluded(&c, 1));
    CHECK(c.deny_message.p && strstr(c.deny_message.p, "1 more excluded by other policies"), "message: %s",
          c.deny_message.p ? c.deny_message.p : "");
    mh_call_free(&c);

    cands[1] = target("zdr-2", 1, 1, 0, -1, "");
    cands[1].excluded = 1;
    CHECK(request(inst, &c, cands, 2) == PAB_VERDICT_ALLOW, "only other policies' exclusions: routing answers");
    CHECK(strcmp(tag(&c), "0") == 0, "tag %s", tag(&c));
    mh_call_free(&c);
    plugin->destroy(inst);
}

void test_selection_log(void) {
    char err[512];
    const pab_candidate cands[] = {target("zdr-eu", 1, 1, 0, -1, "eu"), target("plain-x", 0, 0, 0, -1, "")};
    struct pab_call c;
    pab_instance *quiet = make("{\"require_zero_data_retention\":true}", err, sizeof err);
    pab_instance *loud =
        make("{\"log_provider_selection\":true,\"require_zero_data_retention\":true}", err, sizeof err);
    CHECK(quiet && loud, "create: %s", err);
    if (!quiet || !loud) return;
    mh_reset();
    CHECK(request(quiet, &c, cands, 2) == PAB_VERDICT_ALLOW, "verdict");
    mh_call_free(&c);
    CHECK(mh_logs_containing("zdr-eu") == 0, "no selection log unless asked");
    CHECK(request(loud, &c, cands, 2) == PAB_VERDICT_ALLOW, "verdict");
    mh_call_free(&c);
    CHECK(mh_logs_containing("request req-mock-1: target 'zdr-eu' (openai, region eu): compliant") == 1,
          "compliant line");
    CHECK(mh_logs_containing("target 'plain-x' (openai, region none): excluded: no data policy declared") == 1,
          "excluded line");
    plugin->destroy(quiet);
    plugin->destroy(loud);
}
