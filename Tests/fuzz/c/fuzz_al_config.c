/*
 * fuzz_al_config.c: the audit-logger's JSON reader and compactor (al_json.c) and its config parser
 * (al_config.c).
 *
 * Input: one JSON document: a config, or the usage / verdicts attribute JSON the record builder reads.
 * Checks, beyond the sanitizers: compacting valid JSON gives valid JSON that compacts to itself and is no
 * longer than the input (audit lines must stay one valid JSON line); numbers convert consistently
 * (an int64 reading equals the double reading when both succeed and the value is exactly representable);
 * a parsed config is complete (path absolute, prefix set, retention in range).
 */
#include "al_buf.h"
#include "al_config.h"
#include "al_json.h"

#include "fuzz_util.h"

static void walk(const aj_value *v, int depth) {
    FZ_CHECK(aj_type_name(v->type) != NULL, "no type name");
    FZ_CHECK(depth < 1000, "runaway depth");
    if (v->type == AJ_STRING) FZ_CHECK(strlen(v->str) == v->str_len, "string length or embedded NUL");
    if (v->type == AJ_NUMBER) {
        double d;
        int64_t i;
        FZ_CHECK(aj_number_double(v, &d) == 0, "a number that is not a number");
        if (aj_number_int64(v, &i) == 0 && i > -(1LL << 53) && i < (1LL << 53))
            FZ_CHECK(d == (double)i, "int64 %lld and double %.17g disagree", (long long)i, d);
    }
    if (v->type == AJ_ARRAY || v->type == AJ_OBJECT)
        for (size_t k = 0; k < v->count; k++) {
            if (v->type == AJ_OBJECT) FZ_CHECK(aj_get(v, v->keys[k]) != NULL, "member not found by its key");
            walk(&v->items[k], depth + 1);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fz_dup(data, size);
    char err[256] = "";
    aj_doc doc;
    if (aj_parse(text, size, &doc, err, sizeof err) == 0) {
        walk(&doc.root, 0);
        aj_free(&doc);
        al_buf once = {0}, twice = {0};
        aj_compact(text, size, &once);
        FZ_CHECK(!once.failed && once.len <= size, "compacted JSON grew");
        FZ_CHECK(aj_parse(once.data ? once.data : "", once.len, &doc, err, sizeof err) == 0,
                 "compacted JSON does not parse: %s", err);
        aj_free(&doc);
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
