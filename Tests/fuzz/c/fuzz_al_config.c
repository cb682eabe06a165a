/*
 * fuzz_al_config.c: the audit-logger's JSON glue (al_json.c: aj_parse over the shared pab_json.h, the
 * number readers, and aj_compact, which writes the usage and verdict JSON into records) and its config
 * parser (al_config.c).
 *
 * Input: one JSON document: a config, or the usage / verdicts attribute JSON the record builder reads.
 * Checks, beyond the sanitizers and fuzz_pab_json.h's tree checks: compacting valid JSON gives valid JSON
 * that compacts to itself, is no longer than the input and has no line break (audit lines must stay one
 * valid JSON line); aj_parse agrees with pab_json_parse; the int64 and double readings of a number agree;
 * a parsed config is complete (path absolute, prefix set, retention in range, every price found).
 */
#include "al_buf.h"
#include "al_config.h"
#include "al_json.h"

#include "fuzz_pab_json.h"
#include "fuzz_util.h"

static void numbers(const pab_json *v) {
    if (v->type == PAB_JSON_NUMBER) {
        double d;
        int64_t i;
        FZ_CHECK(aj_number_double(v, &d) == 0, "a number that is not a number");
        if (aj_number_int64(v, &i) == 0 && i > -(1LL << 53) && i < (1LL << 53))
            FZ_CHECK(d == (double)i, "int64 %lld and double %.17g disagree", (long long)i, d);
    }
    if (v->type == PAB_JSON_ARRAY || v->type == PAB_JSON_OBJECT)
        for (size_t k = 0; k < v->count; k++) numbers(&v->items[k]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fz_dup(data, size);
    char err[256] = "";
    const int valid = fz_pab_json_check(text, size);
    pab_json root;
    const int ok = aj_parse(text, size, &root, err, sizeof err) == 0;
    FZ_CHECK(ok == valid, "aj_parse %s what pab_json_parse %s", ok ? "accepts" : "refuses",
             valid ? "accepts" : "refuses");
    if (ok) {
        numbers(&root);
        pab_json_free(&root);
        al_buf once = {0}, twice = {0};
        aj_compact(text, size, &once);
        FZ_CHECK(!once.failed && once.len <= size, "compacted JSON grew");
        FZ_CHECK(aj_parse(once.data ? once.data : "", once.len, &root, err, sizeof err) == 0,
                 "compacted JSON does not parse: %s", err);
        pab_json_free(&root);
        aj_compact(once.data ? once.data : "", once.len, &twice);
        FZ_CHECK(twice.len == once.len && (once.len == 0 || memcmp(once.data, twice.data, once.len) == 0),
                 "compacting is not idempotent");
        FZ_CHECK(memchr(once.data ? once.data : "", '\n', once.len) == NULL, "compacted JSON has a line break");
        al_buf_free(&once);
        al_buf_free(&twice);
    } else {
        FZ_CHECK(err[0] != '\0', "parse failed without a message");
    }

    al_settings s;
    err[0] = '\0';
    if (al_settings_parse(text, size, "/var/lib/gatewayhost", &s, err, sizeof err) == 0) {
        FZ_CHECK(s.path != NULL && s.path[0] == '/', "path not absolute");
        FZ_CHECK(s.file_prefix != NULL && s.file_prefix[0] != '\0', "no file prefix");
        FZ_CHECK(s.retention_days >= 0 && s.retention_days <= AL_MAX_RETENTION_DAYS, "retention %d", s.retention_days);
        for (size_t k = 0; k < s.price_count; k++) {
            const al_price *p = al_settings_price(&s, s.prices[k].model, strlen(s.prices[k].model));
            FZ_CHECK(p != NULL, "a configured price is not found by its model");
        }
        al_settings_free(&s);
    } else {
        FZ_CHECK(err[0] != '\0', "config refused without a reason");
    }
    free(text);
    return 0;
}
