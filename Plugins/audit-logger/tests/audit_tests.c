/* audit_tests.c: unit tests of the audit-logger plugin (SHA-256, config, record format, hash chain,
 * restart and torn-line recovery, retention, filtering, concurrency), driven through the plugin's own
 * descriptor and a mock host. Prints "N passed, M failed" last; exit 1 on any failure.
 *
 *   audit_tests [--so PATH/audit-logger.so] [--bench]
 *
 * --so also loads the built shared object with dlopen and checks its exported entry point.
 * --bench prints records/s with 1 and 8 threads (no pass/fail). */
#define _POSIX_C_SOURCE 200809L
#include "policy_abi.h"

/* The descriptor declares PAB_CAP_INLINE_SAFE when built against a header that has it (v1.3 on). */
#ifdef PAB_CAP_INLINE_SAFE
#define TEST_CAP_INLINE_SAFE PAB_CAP_INLINE_SAFE
#else
#define TEST_CAP_INLINE_SAFE 0u
#endif

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "al_buf.h"
#include "al_config.h"
#include "al_journal.h"
#include "al_json.h"
#include "pab_json.h"
#include "al_sha256.h"
#include "al_time.h"
#include "mock_host.h"

/* ------------------------------------------------------------------------------------------ harness */

static int current_failures;
static const char *current_test;

static void check(int ok, const char *file, int line, const char *fmt, ...) {
    if (ok) return;
    current_failures++;
    fprintf(stderr, "FAIL %s (%s:%d): ", current_test, file, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
#define CHECK(cond, ...) check((cond) != 0, __FILE__, __LINE__, __VA_ARGS__)

/* ------------------------------------------------------------------------------------------ helpers */

static char *temp_dir(void) {
    char templ[] = "/tmp/al-test-XXXXXX";
    char *d = mkdtemp(templ);
    if (!d) {
        perror("mkdtemp");
        exit(2);
    }
    return strdup(d);
}

static void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[1024];
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(path);
        else unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n + 1);
    size_t got = fread(data, 1, (size_t)n, f);
    fclose(f);
    data[got] = '\0';
    *len = got;
    return data;
}

static void append_file(const char *path, const char *text) {
    FILE *f = fopen(path, "ab");
    fputs(text, f);
    fclose(f);
}

static void day_file(char *out, size_t cap, const char *dir, const char *prefix, int64_t day) {
    char date[11];
    al_format_date(day, date);
    snprintf(out, cap, "%s/%s-%s.jsonl", dir, prefix, date);
}

static int64_t today(void) { return al_day_of_ms(al_realtime_ms()); }

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* What a chain check found (mirrors `gatewayhost audit verify`). */
typedef struct chain_report {
    int records;    /* chained records that checked out */
    int bad_line;   /* 1-based line of the first problem, 0 when none */
    char kind[32];  /* "torn", "altered", "prev", "json" */
} chain_report;

/* Checks files in order as one chain; the first record's prev is taken as given unless `first_prev`. */
static chain_report check_chain(const char *const *paths, int npaths, const char *first_prev) {
    chain_report r = {0, 0, ""};
    char prev[65] = "";
    if (first_prev) snprintf(prev, sizeof prev, "%s", first_prev);
    for (int f = 0; f < npaths; f++) {
        size_t len;
        char *data = read_file(paths[f], &len);
        if (!data) {
            snprintf(r.kind, sizeof r.kind, "missing");
            return r;
        }
        int lineno = 0;
        size_t pos = 0;
        while (pos < len) {
            char *nl = memchr(data + pos, '\n', len - pos);
            size_t end = nl ? (size_t)(nl - data) : len;
            lineno++;
            char hash[65];
            int altered;
            const char *line = data + pos;
            size_t n = end - pos;
            pab_json doc;
            char err[160];
            if (!al_record_hash(line, n, hash, &altered)) {
                snprintf(r.kind, sizeof r.kind, "torn");
                r.bad_line = lineno;
                free(data);
                return r;
            }
            if (aj_parse(line, n, &doc, err, sizeof err) != 0) {
                snprintf(r.kind, sizeof r.kind, "json");
                r.bad_line = lineno;
                free(data);
                return r;
            }
            const pab_json *p = pab_json_get(&doc, "prev");
            int prev_ok = p && p->type == PAB_JSON_STRING && (prev[0] == '\0' || strcmp(p->str, prev) == 0);
            pab_json_free(&doc);
            if (altered || !prev_ok) {
                snprintf(r.kind, sizeof r.kind, altered ? "altered" : "prev");
                r.bad_line = lineno;
                free(data);
                return r;
            }
            memcpy(prev, hash, 65);
            r.records++;
            pos = nl ? end + 1 : len;
        }
        free(data);
    }
    return r;
}

static chain_report check_one(const char *path) {
    const char *paths[1] = {path};
    return check_chain(paths, 1, "0000000000000000000000000000000000000000000000000000000000000000");
}

static int count_lines(const char *path) {
    size_t len;
    char *data = read_file(path, &len);
    if (!data) return -1;
    int n = 0;
    for (size_t i = 0; i < len; i++) n += data[i] == '\n';
    free(data);
    return n;
}

/* The n-th line (1-based) of a file, malloc'd. */
static char *nth_line(const char *path, int n) {
    size_t len;
    char *data = read_file(path, &len);
    if (!data) return NULL;
    char *p = data;
    for (int i = 1; i < n && p; i++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    char *out = NULL;
    if (p && *p) {
        char *nl = strchr(p, '\n');
        size_t k = nl ? (size_t)(nl - p) : strlen(p);
        out = malloc(k + 1);
        memcpy(out, p, k);
        out[k] = '\0';
    }
    free(data);
    return out;
}

static const pab_plugin *plugin(void) {
    static const pab_plugin *p;
    if (!p) p = pab_plugin_entry_v1(&mock_host);
    return p;
}

/* Host instances must outlive their plugin instance (until destroy returns): kept here, freed at the end
 * of main so that LeakSanitizer (SANITIZE=1) reports only the plugin's own leaks. */
static struct pab_host_instance *host_instances[256];
static size_t host_instance_count;

static void free_host_instances(void) {
    for (size_t i = 0; i < host_instance_count; i++) free(host_instances[i]);
    host_instance_count = 0;
}

static pab_instance *make_instance(const char *config, char *err, size_t cap) {
    struct pab_host_instance *hi = calloc(1, sizeof *hi);
    if (host_instance_count < sizeof host_instances / sizeof host_instances[0])
        host_instances[host_instance_count++] = hi;
    snprintf(hi->policy, sizeof hi->policy, "audit-logger");
    pab_create_args args = {
        .struct_size = sizeof(pab_create_args),
        .host = &mock_host,
        .host_instance = hi,
        .policy_name = {(const uint8_t *)"audit-logger", 12},
        .config_json = {(const uint8_t *)config, strlen(config)},
    };
    pab_instance *inst = NULL;
    err[0] = '\0';
    if (plugin()->create(&args, &inst, err, cap) != PAB_OK) return NULL;
    return inst;
}

static pab_instance *instance(const char *fmt, const char *dir) {
    char config[2048], err[512];
    snprintf(config, sizeof config, fmt, dir);
    pab_instance *inst = make_instance(config, err, sizeof err);
    if (!inst) fprintf(stderr, "create failed: %s (config %s)\n", err, config);
    return inst;
}

static void run_exchange(pab_instance *inst, struct pab_call *c, pab_end_reason reason) {
    pab_exchange *ex = NULL;
    if (plugin()->exchange_begin(inst, c, &ex) != PAB_OK) return;
    plugin()->exchange_end(inst, ex, c, reason);
}

static void write_records(pab_instance *inst, int n, const char *id_prefix) {
    for (int i = 0; i < n; i++) {
        char id[64];
        snprintf(id, sizeof id, "%s-%d", id_prefix, i);
        struct pab_call c;
        mock_call_init(&c, id);
        run_exchange(inst, &c, PAB_END_COMPLETED);
    }
}

/* ------------------------------------------------------------------------------------------ tests */

static void test_sha256_vectors(void) {
    /* FIPS 180-2 appendix B, plus the empty message. */
    static const struct {
        const char *msg;
        const char *hex;
    } v[] = {
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrst"
         "nopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    char hex[65];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        al_sha256_hex(v[i].msg, strlen(v[i].msg), hex);
        CHECK(strcmp(hex, v[i].hex) == 0, "sha256(\"%s\") = %s, want %s", v[i].msg, hex, v[i].hex);
    }
    /* One million 'a', fed in uneven pieces (exercises the partial-block path). */
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    al_sha256 s;
    uint8_t digest[32];
    al_sha256_init(&s);
    size_t done = 0, step = 1;
    while (done < 1000000) {
        size_t n = step < 1000000 - done ? step : 1000000 - done;
        al_sha256_update(&s, a + done, n);
        done += n;
        step = step * 7 % 131 + 1;
    }
    al_sha256_final(&s, digest);
    al_hex_digest(digest, hex);
    CHECK(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0,
          "sha256(10^6 x 'a') = %s", hex);
    /* Lengths around the padding boundary: incremental equals one-shot. */
    for (size_t n = 50; n < 70; n++) {
        char one[65], inc[65];
        al_sha256_hex(a, n, one);
        al_sha256_init(&s);
        al_sha256_update(&s, a, n / 3);
        al_sha256_update(&s, a + n / 3, n - n / 3);
        al_sha256_final(&s, digest);
        al_hex_digest(digest, inc);
        CHECK(strcmp(one, inc) == 0, "incremental differs at length %zu", n);
    }
    free(a);
}

static void test_config_errors(void) {
    static const struct {
        const char *config;
        const char *expect;
    } cases[] = {
        {"{\"mode\":\"strict\"}", "unknown config key `mode`"},
        {"{\"retention_days\":0}", "`retention_days` must be a whole number of days from 1 to 36500"},
        {"{\"retention_days\":36501}", "`retention_days`"},
        {"{\"retention_days\":1.5}", "`retention_days`"},
        {"{\"fsync\":\"always\"}", "`fsync` must be \"none\" or \"every\""},
        {"{\"immutable\":\"yes\"}", "`immutable` must be true or false"},
        {"{\"log_all_access\":1}", "`log_all_access` must be true or false"},
        {"{\"path\":\"\"}", "`path` must be a non-empty string"},
        {"{\"file_prefix\":\"../x\"}", "`file_prefix`"},
        {"{\"pricing\":{\"gpt-4o\":{\"prompt\":2.5}}}", "`pricing.gpt-4o` needs `completion`"},
        {"{\"pricing\":{\"gpt-4o\":{\"prompt\":2.5,\"completion\":10,\"cached\":1}}}",
         "unknown config key `pricing.gpt-4o.cached`"},
        {"{\"pricing\":{\"gpt-4o\":{\"prompt\":-1,\"completion\":10}}}", "`pricing.gpt-4o.prompt`"},
        {"{\"pricing\":[]}", "`pricing` must be an object"},
        {"[]", "the config must be an object"},
        {"{\"path\":\"/proc/definitely/not/writable\"}", "config key `path`: cannot create the folder"},
    };
    char err[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pab_instance *inst = make_instance(cases[i].config, err, sizeof err);
        CHECK(inst == NULL, "config %s was accepted", cases[i].config);
        CHECK(strstr(err, cases[i].expect) != NULL, "config %s: error \"%s\" lacks \"%s\"", cases[i].config, err,
              cases[i].expect);
        if (inst) plugin()->destroy(inst);
    }
    /* Defaults, and a relative path resolved against the working directory. */
    al_settings s;
    CHECK(al_settings_parse("{}", 2, "/srv/gw", &s, err, sizeof err) == 0, "{} refused: %s", err);
    CHECK(!strcmp(s.path, "/srv/gw/audit") && !strcmp(s.file_prefix, "audit") && s.log_all_access == 1 &&
              s.retention_days == 30 && s.immutable == 1 && s.fsync_every == 0 && s.price_count == 0,
          "defaults wrong: path %s", s.path);
    al_settings_free(&s);
    const char *full = "{\"fsync\":\"every\",\"immutable\":false,\"log_all_access\":false,\"path\":\"/var/log/a\","
                       "\"pricing\":{\"m\":{\"completion\":1e1,\"prompt\":0.15}},\"retention_days\":2555}";
    CHECK(al_settings_parse(full, strlen(full), NULL, &s, err, sizeof err) == 0, "full config refused: %s", err);
    CHECK(!strcmp(s.path, "/var/log/a") && s.fsync_every && !s.immutable && !s.log_all_access &&
              s.retention_days == 2555 && s.price_count == 1 && s.prices[0].prompt > 0.1499 &&
              s.prices[0].prompt < 0.1501 && s.prices[0].completion == 10.0,
          "full config read wrong");
    al_settings_free(&s);
}

/* PolicyABI 1.2: the host's PAB_ATTR_COST_USD is the record's cost, whatever the plugin's own table says. */
static void test_host_cost_wins(void) {
    char *dir = temp_dir();
    pab_instance *inst = instance(
        "{\"path\":\"%s\",\"pricing\":{\"gpt-4o-mini\":{\"prompt\":0.15,\"completion\":0.6}}}", dir);
    CHECK(inst != NULL, "create failed");
    if (!inst) {
        free(dir);
        return;
    }
    struct pab_call c;
    mock_call_init(&c, "req-host-cost");
    c.attrs[PAB_ATTR_USAGE_JSON] = "{\"prompt_tokens\":1000,\"completion_tokens\":500}";
    c.attrs[PAB_ATTR_COST_USD] = "0.0125";
    run_exchange(inst, &c, PAB_END_COMPLETED);
    plugin()->destroy(inst);
    char path[1024];
    day_file(path, sizeof path, dir, "audit", today());
    char *line = nth_line(path, 1);
    CHECK(line != NULL && strstr(line, "\"cost_usd\":0.0125") != NULL, "host cost not used: %s", line ? line : "");
    free(line);
    free(dir);
}

static void test_record_format(void) {
    char *dir = temp_dir();
    mock_reset_counters();
    pab_instance *inst = instance(
        "{\"path\":\"%s\",\"pricing\":{\"gpt-4o-mini\":{\"prompt\":0.15,\"completion\":0.6}}}", dir);
    CHECK(inst != NULL, "create failed");
    if (!inst) return;
    struct pab_call c;
    mock_call_init(&c, "req-\"quoted\"\n1");
    c.attrs[PAB_ATTR_USAGE_JSON] = "{\n  \"prompt_tokens\": 1000,\n  \"completion_tokens\": 500,\n"
                                   "  \"total_tokens\": 1500\n}";
    c.attrs[PAB_ATTR_STREAM] = "true";
    c.attrs[PAB_ATTR_VERDICTS_JSON] = "[{\"policy\":\"pii-detector\",\"hook\":\"on_request\",\"verdict\":\"mutate\"},"
                                      "{\"policy\":\"audit-logger\",\"hook\":\"on_request\",\"verdict\":\"allow\"}]";
    mock_call_tag(&c, "pii-detector.EMAIL_ADDRESS", "2");
    mock_call_tag(&c, "audit-logger.internal", "x");
    mock_call_tag(&c, "prompt-injection.score", "0.1\tline\x01" "bad\xff");
    run_exchange(inst, &c, PAB_END_COMPLETED);
    plugin()->destroy(inst);

    CHECK(c.header_calls == 0 && c.segment_calls == 0, "the plugin read headers (%u) or bodies (%u)",
          c.header_calls, c.segment_calls);
    char path[1024];
    day_file(path, sizeof path, dir, "audit", today());
    char *line = nth_line(path, 1);
    CHECK(line != NULL, "no record in %s", path);
    CHECK(count_lines(path) == 1, "expected 1 line");
    if (line) {
        pab_json doc;
        char err[160];
        int parsed = aj_parse(line, strlen(line), &doc, err, sizeof err) == 0;
        CHECK(parsed, "record is not JSON: %s\n%s", err, line);
        if (parsed) {
            static const char *const order[] = {"ts", "request_id", "pack", "client", "client_ip", "route",
                                                "target", "model", "stream", "status", "latency_ms", "end_reason",
                                                "usage", "cost_usd", "verdicts", "tags", "prev", "hash"};
            CHECK(doc.count == sizeof order / sizeof order[0], "record has %zu fields", doc.count);
            for (size_t i = 0; i < doc.count && i < sizeof order / sizeof order[0]; i++)
                CHECK(!strcmp(doc.keys[i], order[i]), "field %zu is %s, want %s", i, doc.keys[i], order[i]);
            const pab_json *v = pab_json_get(&doc, "request_id");
            CHECK(v && !strcmp(v->str, "req-\"quoted\"\n1"), "request_id not round-tripped");
            const pab_json *pack = pab_json_get(&doc, "pack");
            CHECK(pack && !strcmp(pab_json_get(pack, "name")->str, "tests") &&
                      !strcmp(pab_json_get(pack, "version")->str, "1.2.3"),
                  "pack wrong");
            CHECK(!strcmp(pab_json_get(&doc, "client")->str, "team-a"), "client wrong");
            CHECK(!strcmp(pab_json_get(&doc, "target")->str, "openai-main"), "target wrong");
            CHECK(pab_json_get(&doc, "stream")->boolean == 1, "stream wrong");
            int64_t n;
            CHECK(aj_number_int64(pab_json_get(&doc, "status"), &n) == 0 && n == 200, "status wrong");
            CHECK(aj_number_int64(pab_json_get(&doc, "latency_ms"), &n) == 0 && n == 42, "latency wrong");
            CHECK(!strcmp(pab_json_get(&doc, "end_reason")->str, "completed"), "end_reason wrong");
            CHECK(aj_number_int64(pab_json_get(pab_json_get(&doc, "usage"), "total_tokens"), &n) == 0 && n == 1500,
                  "usage wrong");
            const pab_json *cost = pab_json_get(&doc, "cost_usd");
            /* The exact text matters (a record is read by other tools): look at the line, not the double. */
            CHECK(cost && cost->type == PAB_JSON_NUMBER && strstr(line, "\"cost_usd\":0.00045,") != NULL,
                  "cost_usd should be 0.00045 (1000 x 0.15 + 500 x 0.6 per 1M)");
            CHECK(pab_json_get(&doc, "verdicts")->count == 2, "verdicts wrong");
            const pab_json *tags = pab_json_get(&doc, "tags");
            CHECK(tags && tags->count == 2, "tags should hold 2 entries (own tag left out)");
            CHECK(pab_json_get(tags, "pii-detector.EMAIL_ADDRESS") && !pab_json_get(tags, "audit-logger.internal"),
                  "tags wrong");
            const pab_json *score = pab_json_get(tags, "prompt-injection.score");
            CHECK(score && !strcmp(score->str, "0.1\tline\x01" "bad\xEF\xBF\xBD"),
                  "control bytes must be escaped and invalid UTF-8 replaced");
            const pab_json *ts = pab_json_get(&doc, "ts");
            CHECK(ts && ts->str_len == 24 && ts->str[10] == 'T' && ts->str[19] == '.' && ts->str[23] == 'Z',
                  "ts not RFC 3339 with ms: %s", ts ? ts->str : "(none)");
            CHECK(!strcmp(pab_json_get(&doc, "prev")->str,
                          "0000000000000000000000000000000000000000000000000000000000000000"),
                  "first prev should be 64 zeros");
            pab_json_free(&doc);
        }
        CHECK(strchr(line, '\n') == NULL && strstr(line, "  ") == NULL, "record must be one compact line");
        CHECK(strstr(line, "SECRET") == NULL && strstr(line, "hunter2") == NULL, "a secret reached the log");
        /* The hash is sha256 of the line without `,"hash":"…"` and with the object closed after prev. */
        size_t len = strlen(line);
        char hashed[4096], want[65];
        memcpy(hashed, line, len - AL_HASH_SUFFIX_LEN);
        hashed[len - AL_HASH_SUFFIX_LEN] = '}';
        al_sha256_hex(hashed, len - AL_HASH_SUFFIX_LEN + 1, want);
        CHECK(strncmp(line + len - 66, want, 64) == 0, "hash is not sha256 of the documented bytes");
        free(line);
    }
    CHECK(mock_counter("records_written") == 1, "records_written = %llu", mock_counter("records_written"));
    remove_tree(dir);
    free(dir);
}

static void test_missing_attributes(void) {
    char *dir = temp_dir();
    pab_instance *inst = instance("{\"path\":\"%s\"}", dir);
    if (!inst) return;
    struct pab_call c;
    mock_call_init(&c, "req-rejected");
    c.attrs[PAB_ATTR_TARGET_ID] = NULL;
    c.attrs[PAB_ATTR_USAGE_JSON] = "{not json";
    c.attrs[PAB_ATTR_STATUS] = "503";
    run_exchange(inst, &c, 99); /* an end reason this plugin does not know */
    plugin()->destroy(inst);
    char path[1024];
    day_file(path, sizeof path, dir, "audit", today());
    char *line = nth_line(path, 1);
    CHECK(line && strstr(line, "\"target\":null") && strstr(line, "\"usage\":null,\"cost_usd\":null") &&
              strstr(line, "\"status\":503") && strstr(line, "\"end_reason\":\"unknown_99\""),
          "missing values should be null: %s", line ? line : "(none)");
    free(line);
    remove_tree(dir);
    free(dir);
}

static void test_chain_across_restart(void) {
    char *dir = temp_dir();
    pab_instance *inst = instance("{\"path\":\"%s\"}", dir);
    if (!inst) return;
    write_records(inst, 3, "first");
    plugin()->destroy(inst);
    inst = instance("{\"path\":\"%s\"}", dir);
    if (!inst) return;
    write_records(inst, 2, "second");
    plugin()->destroy(inst);
    char path[1024];
    day_file(path, sizeof path, dir, "audit", today());
    chain_report r = check_one(path);
    CHECK(r.records == 5 && r.bad_line == 0, "chain: %d records, problem %s at line %d", r.records, r.kind,
          r.bad_line);
    remove_tree(dir);
    free(dir);
}

static void test_torn_last_line(void) {
    char *dir = temp_dir();
    mock_reset_counters();
    pab_instance *inst = instance("{\"path\":\"%s\"}", dir);
    if (!inst) return;
    write_records(inst, 3, "before");
    plugin()->destroy(inst);
    char path[1024];
    day_file(path, sizeof path, dir, "audit", today());
    char *third = nth_line(path, 3);
    append_file(path, "{\"ts\":\"2030-01-01T00:00:00.000Z\",\"request_id\":\"torn"); /* a crash mid-write */
    chain_report r = check_one(path);
    CHECK(r.records == 3 && r.bad_line == 4 && !strcmp(r.kind, "torn"), "torn line not at line 4 (%s %d)", r.kind,
          r.bad_line);

    inst = instance("{\"path\":\"%s\"}", dir);
    if (!inst) return;
    CHECK(mock_logs_containing("ends inside a line") == 1, "the torn line was not reported");
    write_records(inst, 2, "after");
    plugin()->destroy(inst);
    CHECK(count_lines(path) == 6, "expected 6 lines (3 + torn + 2), got %d", count_lines(path));
    char *torn = nth_line(path, 4), *fifth = nth_line(path, 5);
    CHECK(torn && strstr(torn, "\"request_id\":\"torn") && !strstr(torn, "after"), "torn line changed: %s", torn);
    /* The first record after the restart chains onto the last complete one, never onto the fragment. */
    CHECK(third && fifth && strncmp(fifth + strlen(fifth) - AL_HASH_SUFFIX_LEN - 65, third + strlen(third) - 66, 64) == 0,
          "record 5's prev is not record 3's hash");
    r = check_one(path);
    CHECK(r.bad_line == 4 && !strcmp(r.kind, "torn"), "verify should stop at the torn line 4");
    free(third);
    free(torn);
    free(fifth);

    /* A record cut just before its newline is complete: the next one chains onto it. */
    char *dir2 = temp_dir();
    inst = instance("{\"path\":\"%s\"}", dir2);
    if (!inst) return;
    write_records(inst, 2, "x");
    plugin()->destroy(inst);
    day_file(path, sizeof path, dir2, "audit", today());
    size_t len;
    char *data = read_file(path, &len);
    CHECK(truncate(path, (off_t)(len - 1)) == 0, "truncate failed"); /* drop the final '\n' */
    free(data);
    inst = instance("{\"path\":\"%s\"}", dir2);
    if (!inst) return;
    write_records(inst, 1, "y");
    plugin()->destroy(inst);
    r = check_one(path);
    CHECK(r.records == 3 && r.bad_line == 0, "record without its newline should stay in the chain (%s %d)", r.kind,
          r.bad_line);
    remove_tree(dir);
    remove_tree(dir2);
    free(dir);
    free(dir2);
}

static void test_retention(void) {
    char *dir = temp_dir();
    int64_t t = today();
    char old1[1024], edge[1024], kept[1024], other[1024], notes[1024], future[1024];
    day_file(old1, sizeof old1, dir, "audit", al_days_from_civil(2000, 1, 1));
    day_file(edge, sizeof edge, dir, "audit", t - 7);  /* exactly retention_days old: deleted */
    day_file(kept, sizeof kept, dir, "audit", t - 6);  /* inside the window: kept */
    day_file(other, sizeof other, dir, "other", al_days_from_civil(2000, 1, 1)); /* not our prefix */
    day_file(future, sizeof future, dir, "audit", t + 3);
    snprintf(notes, sizeof notes, "%s/audit-notes.jsonl", dir);
    const char *all[] = {old1, edge, kept, other, notes, future};
    for (size_t i = 0; i < 6; i++) append_file(all[i], "x\n");
    pab_instance *inst = instance("{\"path\":\"%s\",\"retention_days\":7}", dir);
    if (!inst) return;
    CHECK(!file_exists(old1) && !file_exists(edge), "expired files were not deleted");
    CHECK(file_exists(kept) && file_exists(other) && file_exists(notes) && file_exists(future),
          "a file that is not expired (or not ours) was deleted");
    plugin()->destroy(inst);
    remove_tree(dir);
    free(dir);
}

/* A test clock for day rollovers. */
static int64_t fake_now_ms;
static int64_t fake_clock(void) { return fake_now_ms; }

static void test_day_rollover(void) {
    char *dir = temp_dir();
    int64_t day = al_days_from_civil(2031, 3, 14);
    char old[1024], d1[1024], d2[1024];
    day_file(old, sizeof old, dir, "audit", day - 2);
    day_file(d1, sizeof d1, dir, "audit", day);
    day_file(d2, sizeof d2, dir, "audit", day + 1);
    append_file(old, "x\n");
    fake_now_ms = day * 86400000 + 86399000; /* 23:59:59 */
    al_journal_options o = {.dir = dir, .prefix = "audit", .retention_days = 3, .immutable = 1, .clock_ms = fake_clock};
    al_journal *j;
    char err[256];
    CHECK(al_journal_open(&o, &j, err, sizeof err) == 0, "open: %s", err);
    CHECK(file_exists(old), "a file 2 days old must survive until the next day (retention 3)");
    CHECK(al_journal_append(j, "\"n\":1", 5) == 0 && al_journal_append(j, "\"n\":2", 5) == 0, "append failed");
    fake_now_ms += 2000; /* 00:00:01 the next day */
    CHECK(al_journal_append(j, "\"n\":3", 5) == 0, "append after midnight failed");
    CHECK(!file_exists(old), "retention did not run at the day rollover");
    al_journal_close(j);
    /* A restart on the new day continues the chain too. */
    CHECK(al_journal_open(&o, &j, err, sizeof err) == 0, "reopen: %s", err);
    CHECK(al_journal_append(j, "\"n\":4", 5) == 0, "append failed");
    al_journal_close(j);
    CHECK(count_lines(d1) == 2 && count_lines(d2) == 2, "records in the wrong files");
    const char *both[2] = {d1, d2};
    chain_report r = check_chain(both, 2, "0000000000000000000000000000000000000000000000000000000000000000");
    CHECK(r.records == 4 && r.bad_line == 0, "chain across days broken: %s at line %d", r.kind, r.bad_line);
    char *first = nth_line(d1, 1);
    CHECK(first && strncmp(first, "{\"ts\":\"2031-03-14T23:59:59.000Z\",\"n\":1,\"prev\":\"", 47) == 0,
          "unexpected layout: %s", first);
    free(first);

    /* A new day's first record continues from the newest earlier file even after a restart. */
    fake_now_ms += 86400000 * 2;
    CHECK(al_journal_open(&o, &j, err, sizeof err) == 0, "reopen: %s", err);
    CHECK(al_journal_append(j, "\"n\":5", 5) == 0, "append failed");
    al_journal_close(j);
    char d3[1024];
    day_file(d3, sizeof d3, dir, "audit", day + 3);
    CHECK(!file_exists(d1), "retention 3 should have deleted the file of 3 days ago");
    const char *last[2] = {d2, d3};
    r = check_chain(last, 2, NULL);
    CHECK(r.records == 3 && r.bad_line == 0, "chain across a restart on a later day broken (%s %d)", r.kind,
          r.bad_line);

    /* A day file holding only a torn fragment (a crash during its first write): the next record continues the
     * previous file's chain. */
    char d4[1024];
    day_file(d4, sizeof d4, dir, "audit", day + 4);
    append_file(d4, "{\"ts\":\"2031-03-18T00:00:00.000Z\",\"n\":");
    fake_now_ms += 86400000;
    CHECK(al_journal_open(&o, &j, err, sizeof err) == 0, "reopen: %s", err);
    CHECK(al_journal_append(j, "\"n\":6", 5) == 0, "append failed");
    al_journal_close(j);
    char *last3 = nth_line(d3, 1), *after = nth_line(d4, 2);
    CHECK(last3 && after && !strncmp(after + strlen(after) - AL_HASH_SUFFIX_LEN - 65, last3 + strlen(last3) - 66, 64),
          "the record after a torn-only file must chain onto the previous file");
    free(last3);
    free(after);
    remove_tree(dir);
    free(dir);
}

static void test_filtering(void) {
    char *dir = temp_dir();
    mock_reset_counters();
    pab_instance *inst = instance("{\"log_all_access\":false,\"path\":\"%s\"}", dir);
    if (!inst) return;
    struct pab_call c;
    mock_call_init(&c, "plain-allow");
    run_exchange(inst, &c, PAB_END_COMPLETED);
    mock_call_init(&c, "denied");
    c.attrs[PAB_ATTR_STATUS] = "409";
    c.attrs[PAB_ATTR_VERDICTS_JSON] = "[{\"policy\":\"pii-detector\",\"hook\":\"on_request\",\"verdict\":\"deny\"}]";
    run_exchange(inst, &c, PAB_END_DENIED);
    mock_call_init(&c, "mutated");
    c.attrs[PAB_ATTR_VERDICTS_JSON] = "[{\"policy\":\"pii-detector\",\"hook\":\"on_request\",\"verdict\":\"mutate\"}]";
    run_exchange(inst, &c, PAB_END_COMPLETED);
    mock_call_init(&c, "upstream-failed");
    c.attrs[PAB_ATTR_STATUS] = "502";
    run_exchange(inst, &c, PAB_END_UPSTREAM_ERROR);
    mock_call_init(&c, "no-verdicts");
    c.attrs[PAB_ATTR_VERDICTS_JSON] = "[]";
    run_exchange(inst, &c, PAB_END_COMPLETED);
    plugin()->destroy(inst);
    char path[1024];
    day_file(path, sizeof path, dir, "audit", today());
    size_t len;
    char *data = read_file(path, &len);
    CHECK(data && count_lines(path) == 3, "expected 3 records");
    CHECK(data && !strstr(data, "plain-allow") && !strstr(data, "no-verdicts") && strstr(data, "\"denied\"") &&
              strstr(data, "mutated") && strstr(data, "upstream-failed"),
          "wrong exchanges logged");
    CHECK(check_one(path).records == 3, "filtered log is not one intact chain");
    CHECK(mock_counter("records_written") == 3 && mock_counter("records_skipped") == 2, "counters %llu/%llu",
          mock_counter("records_written"), mock_counter("records_skipped"));
    free(data);
    remove_tree(dir);
    free(dir);
}

static void test_not_immutable(void) {
    char *dir = temp_dir();
    pab_instance *inst = instance("{\"immutable\":false,\"path\":\"%s\",\"file_prefix\":\"plain\"}", dir);
    if (!inst) return;
    write_records(inst, 2, "p");
    plugin()->destroy(inst);
    char path[1024];
    day_file(path, sizeof path, dir, "plain", today());
    char *line = nth_line(path, 2);
    CHECK(line && !strstr(line, "\"prev\"") && !strstr(line, "\"hash\"") && line[strlen(line) - 1] == '}',
          "immutable=false must write neither prev nor hash: %s", line);
    free(line);
    remove_tree(dir);
    free(dir);
}

typedef struct worker {
    pab_instance *inst;
    int index, count;
} worker;

static void *worker_main(void *arg) {
    worker *w = arg;
    for (int i = 0; i < w->count; i++) {
        char id[64];
        snprintf(id, sizeof id, "t%d-%d", w->index, i);
        struct pab_call c;
        mock_call_init(&c, id);
        mock_call_tag(&c, "pii-detector.EMAIL_ADDRESS", "1");
        c.attrs[PAB_ATTR_USAGE_JSON] = "{\"prompt_tokens\":12,\"completion_tokens\":30,\"total_tokens\":42}";
        run_exchange(w->inst, &c, PAB_END_COMPLETED);
    }
    return NULL;
}

static double run_threads(pab_instance *inst, int threads, int per_thread) {
    pthread_t tid[64];
    worker w[64];
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < threads; i++) {
        w[i] = (worker){inst, i, per_thread};
        pthread_create(&tid[i], NULL, worker_main, &w[i]);
    }
    for (int i = 0; i < threads; i++) pthread_join(tid[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

static void test_concurrent_appends(void) {
    char *dir = temp_dir();
    pab_instance *inst = instance("{\"path\":\"%s\"}", dir);
    if (!inst) return;
    run_threads(inst, 8, 500);
    plugin()->destroy(inst);
    char path[1024];
    day_file(path, sizeof path, dir, "audit", today());
    chain_report r = check_one(path);
    CHECK(r.records == 4000 && r.bad_line == 0 && count_lines(path) == 4000, "8x500: %d records, %s at line %d",
          r.records, r.kind, r.bad_line);
    size_t len;
    char *data = read_file(path, &len);
    int distinct = 0;
    for (int t = 0; t < 8 && data; t++)
        for (int i = 0; i < 500; i += 99) {
            char id[64];
            snprintf(id, sizeof id, "\"request_id\":\"t%d-%d\"", t, i);
            distinct += strstr(data, id) != NULL;
        }
    CHECK(distinct == 8 * 6, "sampled request ids missing (%d of 48)", distinct);
    free(data);
    remove_tree(dir);
    free(dir);
}

static void test_two_writers_one_folder(void) {
    /* Two instances (as two gateway processes would) on one folder: the file lock serialises them and each
     * re-reads the chain's end when the file grew behind its back. */
    char *dir = temp_dir();
    pab_instance *a = instance("{\"path\":\"%s\"}", dir);
    pab_instance *b = instance("{\"path\":\"%s\"}", dir);
    if (!a || !b) return;
    for (int i = 0; i < 5; i++) {
        write_records(a, 2, "a");
        write_records(b, 1, "b");
    }
    worker wa = {a, 0, 300}, wb = {b, 1, 300};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, worker_main, &wa);
    pthread_create(&tb, NULL, worker_main, &wb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    plugin()->destroy(a);
    plugin()->destroy(b);
    char path[1024];
    day_file(path, sizeof path, dir, "audit", today());
    chain_report r = check_one(path);
    CHECK(r.records == 615 && r.bad_line == 0, "two writers: %d records, %s at line %d", r.records, r.kind,
          r.bad_line);
    remove_tree(dir);
    free(dir);
}

static void test_write_errors_counted(void) {
    char *dir = temp_dir();
    mock_reset_counters();
    pab_instance *inst = instance("{\"path\":\"%s\"}", dir);
    if (!inst) return;
    write_records(inst, 1, "ok");
    /* Delete the current file (the plugin notices at the next append and reopens by name) and put a plain
     * file where the folder was, so that reopening fails even for root. */
    char path[1024], moved[1024];
    day_file(path, sizeof path, dir, "audit", today());
    snprintf(moved, sizeof moved, "%s.moved", dir);
    unlink(path);
    CHECK(rename(dir, moved) == 0, "rename failed");
    append_file(dir, "not a folder\n");
    write_records(inst, 2, "fail");
    unlink(dir);
    CHECK(rename(moved, dir) == 0, "rename back failed");
    write_records(inst, 1, "again");
    plugin()->destroy(inst);
    CHECK(mock_counter("write_errors") == 2 && mock_counter("records_written") == 2, "counters %llu/%llu",
          mock_counter("write_errors"), mock_counter("records_written"));
    CHECK(mock_logs_containing("NOT written") == 1, "the first failure should be logged once");
    CHECK(mock_logs_containing("again") == 1, "the recovery should be logged");
    CHECK(file_exists(path) && count_lines(path) >= 1, "writing did not resume in a new file");
    remove_tree(dir);
    free(dir);
}

static void test_json_writers(void) {
    al_buf b = {0};
    const uint8_t tricky[] = "a\"b\\c\n\x7f\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80\xc0\xaf\xed\xa0\x80z";
    al_buf_add_json_string(&b, tricky, sizeof tricky - 1);
    pab_json doc;
    char err[160];
    CHECK(aj_parse(b.data, b.len, &doc, err, sizeof err) == 0, "escaped string is not JSON: %.*s", (int)b.len, b.data);
    pab_json_free(&doc);
    static const struct {
        double usd;
        const char *text;
    } money[] = {{0, "0"}, {0.00045, "0.00045"}, {12.5, "12.5"}, {0.0000000004, "0"}, {1.0000000006, "1.000000001"}};
    for (size_t i = 0; i < sizeof money / sizeof money[0]; i++) {
        b.len = 0;
        al_buf_add_usd(&b, money[i].usd);
        CHECK(b.len == strlen(money[i].text) && !memcmp(b.data, money[i].text, b.len), "usd %.12f -> %.*s",
              money[i].usd, (int)b.len, b.data);
    }
    b.len = 0;
    const char *spaced = "{ \"a\" : [ 1 , \"x y\\\" z\" ],\n\t\"b\": {} }";
    aj_compact(spaced, strlen(spaced), &b);
    CHECK(b.len == 26 && !memcmp(b.data, "{\"a\":[1,\"x y\\\" z\"],\"b\":{}}", 26), "compact: %.*s", (int)b.len, b.data);
    al_buf_free(&b);
    char ts[25];
    al_format_rfc3339_ms(al_days_from_civil(2024, 2, 29) * 86400000 + 45296789, ts);
    CHECK(!strcmp(ts, "2024-02-29T12:34:56.789Z"), "ts %s", ts);
    int64_t d;
    CHECK(al_parse_date("2023-02-29", &d) != 0 && al_parse_date("2024-02-29", &d) == 0, "date validation");
}

static void test_shared_object(const char *so) {
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    CHECK(h != NULL, "dlopen %s: %s", so, dlerror());
    if (!h) return;
    pab_plugin_entry_fn entry = (pab_plugin_entry_fn)(uintptr_t)dlsym(h, PAB_ENTRY_SYMBOL);
    CHECK(entry != NULL, "no %s in %s", PAB_ENTRY_SYMBOL, so);
    if (entry) {
        const pab_plugin *p = entry(&mock_host);
        CHECK(p && !strcmp(p->name, "audit-logger") && p->exchange_begin && p->exchange_end && !p->on_request &&
                  !p->on_response && !p->on_stream_chunk && !p->on_stream_end && p->capabilities == TEST_CAP_INLINE_SAFE,
              "descriptor of the .so is not the expected one");
        pab_json doc;
        char err[160];
        CHECK(p && aj_parse(p->config_schema_json, strlen(p->config_schema_json), &doc, err, sizeof err) == 0,
              "config schema is not JSON: %s", err);
        pab_json_free(&doc);
    }
    /* Only the entry point is exported: nothing else can clash with the host or other plugins. */
    CHECK(dlsym(h, "al_journal_append") == NULL && dlsym(h, "al_sha256_hex") == NULL, "internal symbols exported");
    dlclose(h);
}

/* ------------------------------------------------------------------------------------------ main */

static void bench(void) {
    char *dir = temp_dir();
    pab_instance *inst = instance("{\"path\":\"%s\"}", dir);
    if (!inst) return;
    double one = run_threads(inst, 1, 20000);
    double eight = run_threads(inst, 8, 5000);
    plugin()->destroy(inst);
    char path[1024];
    day_file(path, sizeof path, dir, "audit", today());
    struct stat st;
    stat(path, &st);
    printf("bench: 1 thread %.0f records/s, 8 threads %.0f records/s (%.0f bytes/record)\n", 20000 / one,
           40000 / eight, (double)st.st_size / 60000);
    chain_report r = check_one(path);
    printf("bench: chain %s (%d records)\n", r.bad_line ? "BROKEN" : "intact", r.records);
    remove_tree(dir);
    free(dir);

    dir = temp_dir();
    inst = instance("{\"fsync\":\"every\",\"path\":\"%s\"}", dir);
    if (!inst) return;
    one = run_threads(inst, 1, 300);
    eight = run_threads(inst, 8, 100);
    plugin()->destroy(inst);
    printf("bench: fsync every: 1 thread %.0f records/s, 8 threads %.0f records/s\n", 300 / one, 800 / eight);
    remove_tree(dir);
    free(dir);
}

int main(int argc, char **argv) {
    const char *so = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--so") && i + 1 < argc) so = argv[++i];
        else if (!strcmp(argv[i], "--bench")) {
            bench();
            return 0;
        }
    }
    static const struct {
        const char *name;
        void (*fn)(void);
    } tests[] = {
        {"sha256_vectors", test_sha256_vectors},
        {"json_writers", test_json_writers},
        {"config_errors", test_config_errors},
        {"record_format", test_record_format},
        {"host_cost_wins", test_host_cost_wins},
        {"missing_attributes", test_missing_attributes},
        {"chain_across_restart", test_chain_across_restart},
        {"torn_last_line", test_torn_last_line},
        {"retention", test_retention},
        {"day_rollover", test_day_rollover},
        {"filtering", test_filtering},
        {"not_immutable", test_not_immutable},
        {"concurrent_appends", test_concurrent_appends},
        {"two_writers_one_folder", test_two_writers_one_folder},
        {"write_errors_counted", test_write_errors_counted},
    };
    int passed = 0, failed = 0;
    size_t n = sizeof tests / sizeof tests[0];
    for (size_t i = 0; i < n + (so != NULL); i++) {
        current_failures = 0;
        if (i < n) {
            current_test = tests[i].name;
            tests[i].fn();
        } else {
            current_test = "shared_object";
            test_shared_object(so);
        }
        if (current_failures) failed++;
        else passed++;
        printf("%s %s\n", current_failures ? "FAIL" : "ok  ", current_test);
    }
    free_host_instances();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
