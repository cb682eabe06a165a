/*
 * kb_tests.c: unit tests of the keyword-blocklist example, driven hook by hook through the mock host
 * (Tests/abi/mock_host.c), which also enforces the ABI rules the gateway enforces (valid UTF-8, MUTATE
 * only with a change, DENY only with deny(), capabilities).
 *
 *   kb_tests [--so PATH/keyword-blocklist.so]
 *
 * The plugin's source is linked in; --so also loads the built shared object with dlopen and runs one
 * request through its exported entry point. The last line is "N passed, M failed".
 */
#define _POSIX_C_SOURCE 200809L
#include "mock_host.h"
#include "policy_abi.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;
#define CHECK(cond, ...)                                                                                       \
    do {                                                                                                       \
        if (cond) {                                                                                            \
            passed++;                                                                                          \
        } else {                                                                                               \
            failed++;                                                                                          \
            printf("FAIL %s:%d: ", __func__, __LINE__);                                                        \
            printf(__VA_ARGS__);                                                                               \
            printf("\n");                                                                                      \
        }                                                                                                      \
    } while (0)

static const pab_plugin *plugin;

static pab_instance *make(const char *config, char *err, size_t cap) {
    static struct pab_host_instance hi = {"keyword-blocklist"};
    pab_create_args a = {sizeof a, &mh_api, &hi, {(const uint8_t *)"keyword-blocklist", 17},
                         {(const uint8_t *)config, strlen(config)}};
    pab_instance *inst = NULL;
    err[0] = '\0';
    return plugin->create(&a, &inst, err, cap) == PAB_OK ? inst : NULL;
}

/* One request with the given (role, text) pairs; returns the verdict and leaves the call for inspection. */
static pab_verdict request(pab_instance *inst, struct pab_call *c, const char *const *pairs, size_t n) {
    mh_call_init(c, "keyword-blocklist", plugin->capabilities);
    mh_hook_begin(c, MH_REQUEST);
    for (size_t i = 0; i < n; i++) mh_add_segment(c, PAB_SEGMENT_MESSAGE, pairs[2 * i], pairs[2 * i + 1],
                                                  strlen(pairs[2 * i + 1]), (uint32_t)i, 0);
    pab_request r = {sizeof r, PAB_API_CHAT_COMPLETIONS, {0}, {0}, {0}, {0}, 0, 0};
    pab_verdict v = plugin->on_request(inst, NULL, c, &r);
    CHECK(mh_hook_end(c, v) == 0, "ABI rule broken: %s", c->violation);
    return v;
}

static void test_config_errors(void) {
    static const struct { const char *config, *expect; } cases[] = {
        {"{\"keyword\":[\"x\"]}", "unknown config key 'keyword'"},
        {"{\"keywords\":[]}", "keywords must be a non-empty list"},
        {"{\"keywords\":[\"a\",\"\"]}", "keywords[1] is empty"},
        {"{\"keywords\":\"a\"}", "keywords must be a non-empty list"},
        {"{\"keywords\":[\"a\"],\"scan_roles\":[\"root\"]}", "scan_roles[0] is 'root'"},
        {"{\"keywords\":[\"a\"],\"status\":200}", "status must be an integer between 400 and 599"},
        {"{\"keywords\":[\"a\"],\"status\":409.5}", "status must be an integer"},
        {"{\"keywords\":[\"a\"],\"message\":\"\"}", "message must not be empty"},
        {"{\"keywords\":[\"a\"],\"case_sensitive\":1}", "case_sensitive must be true or false"},
        {"{\"keywords\":[\"a\"]", "not a JSON object"},
        {"[\"a\"]", "not a JSON object"},
    };
    char err[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pab_instance *inst = make(cases[i].config, err, sizeof err);
        CHECK(inst == NULL && strstr(err, cases[i].expect) != NULL, "%s: got '%s'", cases[i].config, err);
        if (inst) plugin->destroy(inst);
    }
    /* A tiny error buffer is truncated, never overrun (ASan watches). */
    char tiny[8];
    CHECK(make("{\"keywords\":[]}", tiny, sizeof tiny) == NULL && strlen(tiny) == 7, "err not truncated");
}

static void test_request(void) {
    char err[256];
    pab_instance *inst = make("{\"keywords\":[\"forbidden-word\",\"Zebra\"],\"message\":\"no\",\"status\":451}", err,
                              sizeof err);
    CHECK(inst != NULL, "create: %s", err);
    if (!inst) return;
    struct pab_call c;
    unsigned long long before = mh_counter("blocked_requests");

    const char *const hit[] = {"system", "be nice", "user", "please say FORBIDDEN-WORD now"};
    CHECK(request(inst, &c, hit, 2) == PAB_VERDICT_DENY, "case-insensitive match not blocked");
    CHECK(c.deny_status == 451 && c.deny_message.n == 2 && !strcmp(c.deny_message.p, "no"), "deny answer");
    CHECK(c.deny_code.n && !strcmp(c.deny_code.p, "input_blocked"), "code %s", c.deny_code.p ? c.deny_code.p : "");
    const char *tag = mh_tag(&c, "keyword-blocklist.matched_keyword");
    CHECK(tag && !strcmp(tag, "0"), "tag is the keyword's index, never its text: %s", tag ? tag : "(none)");
    CHECK(mh_counter("blocked_requests") == before + 1, "counter");
    mh_call_free(&c);

    const char *const system_only[] = {"system", "forbidden-word", "assistant", "zebra"};
    CHECK(request(inst, &c, system_only, 2) == PAB_VERDICT_ALLOW, "roles other than user are not scanned");
    mh_call_free(&c);
    const char *const no_role[] = {"", "a zebra crossing"};
    CHECK(request(inst, &c, no_role, 1) == PAB_VERDICT_DENY, "text without a role is scanned as user text");
    CHECK(!strcmp(mh_tag(&c, "keyword-blocklist.matched_keyword"), "1"), "second keyword's index");
    mh_call_free(&c);
    const char *const near[] = {"user", "forbidden word, forbidden_word, zebr"};
    CHECK(request(inst, &c, near, 1) == PAB_VERDICT_ALLOW, "near-misses pass");
    mh_call_free(&c);
    const char *const empty[] = {"user", ""};
    CHECK(request(inst, &c, empty, 1) == PAB_VERDICT_ALLOW, "empty text passes");
    mh_call_free(&c);
    plugin->destroy(inst);

    inst = make("{\"case_sensitive\":true,\"keywords\":[\"Zebra\"],\"scan_roles\":[\"system\"]}", err, sizeof err);
    CHECK(inst != NULL, "create: %s", err);
    if (!inst) return;
    const char *const cased[] = {"system", "a zebra", "user", "Zebra"};
    CHECK(request(inst, &c, cased, 2) == PAB_VERDICT_ALLOW, "case-sensitive: 'zebra' differs, user not scanned");
    mh_call_free(&c);
    const char *const cased_hit[] = {"system", "a Zebra"};
    CHECK(request(inst, &c, cased_hit, 1) == PAB_VERDICT_DENY && c.deny_status == 0, "default status is the host's");
    mh_call_free(&c);
    plugin->destroy(inst);
}

static void test_response(void) {
    char err[256];
    pab_instance *off = make("{\"keywords\":[\"secret\"]}", err, sizeof err);
    pab_instance *on = make("{\"keywords\":[\"secret\"],\"scan_output\":true}", err, sizeof err);
    CHECK(off && on, "create: %s", err);
    if (!off || !on) return;
    pab_response r = {sizeof r, 200, {0}, {0}};
    for (int k = 0; k < 2; k++) {
        struct pab_call c;
        mh_call_init(&c, "keyword-blocklist", plugin->capabilities);
        mh_hook_begin(&c, MH_RESPONSE);
        mh_add_segment(&c, PAB_SEGMENT_OUTPUT, "assistant", "the SECRET is out", 17, 0, 0);
        pab_verdict v = plugin->on_response(k ? on : off, NULL, &c, &r);
        CHECK(mh_hook_end(&c, v) == 0, "ABI: %s", c.violation);
        CHECK(v == (k ? PAB_VERDICT_DENY : PAB_VERDICT_ALLOW), "scan_output=%d: verdict %u", k, v);
        if (k) CHECK(c.deny_code.n && !strcmp(c.deny_code.p, "output_blocked"), "code");
        mh_call_free(&c);
    }
    plugin->destroy(off);
    plugin->destroy(on);
}

/* Runs a stream of (item, text) deltas then [DONE]; returns the last verdict, client text per choice. */
static pab_verdict stream(pab_instance *inst, const uint32_t *items, const char *const *deltas, size_t n,
                          mh_buf out[2]) {
    struct pab_call c;
    mh_call_init(&c, "keyword-blocklist", plugin->capabilities);
    pab_exchange *ex = NULL;
    CHECK(plugin->exchange_begin(inst, &c, &ex) == PAB_OK && ex != NULL, "exchange_begin");
    pab_verdict v = PAB_VERDICT_ALLOW;
    for (size_t i = 0; i <= n && v != PAB_VERDICT_DENY; i++) {
        mh_hook_begin(&c, MH_CHUNK);
        const char *data = i == n ? "[DONE]" : "{}";
        if (i < n) mh_add_segment(&c, PAB_SEGMENT_DELTA, "assistant", deltas[i], strlen(deltas[i]), items[i], 0);
        pab_stream_chunk k = {sizeof k, i, {0}, {(const uint8_t *)data, strlen(data)}, i == n, 0};
        v = plugin->on_stream_chunk(inst, ex, &c, &k);
        CHECK(mh_hook_end(&c, v) == 0, "event %zu: ABI: %s", i, c.violation);
        for (uint32_t it = 0; it < 2; it++) mh_client_text(&c, v, it, &out[it]);
    }
    plugin->exchange_end(inst, ex, &c, v == PAB_VERDICT_DENY ? PAB_END_DENIED : PAB_END_COMPLETED);
    mh_call_free(&c);
    return v;
}

static void test_stream(void) {
    char err[256];
    pab_instance *inst = make("{\"keywords\":[\"forbidden\",\"ab\"],\"scan_output\":true}", err, sizeof err);
    CHECK(inst != NULL, "create: %s", err);
    if (!inst) return;
    mh_buf out[2] = {{0}};

    const uint32_t one[] = {0, 0, 0};
    const char *const split[] = {"this is forb", "idd", "en text"};
    CHECK(stream(inst, one, split, 3, out) == PAB_VERDICT_DENY, "keyword across three events not blocked");
    CHECK(out[0].n == 0 || strstr(out[0].p, "forb") == NULL, "part of the keyword reached the client: %s", out[0].p);
    mh_buf_free(&out[0]);

    /* Unblocked streams arrive unchanged, multi-byte characters intact, every choice released at [DONE]. */
    const uint32_t two[] = {0, 1, 0, 1, 0};
    const char *const clean[] = {"Gr\xc3\xbc\xc3\x9f", "e ", "aus K\xc3\xb6ln \xe2\x82\xac", "\xf0\x9f\x98\x80", "!"};
    CHECK(stream(inst, two, clean, 5, out) == PAB_VERDICT_ALLOW, "clean stream blocked");
    CHECK(out[0].n && !strcmp(out[0].p, "Gr\xc3\xbc\xc3\x9f" "aus K\xc3\xb6ln \xe2\x82\xac!"), "choice 0: '%s'", out[0].p);
    CHECK(out[1].n && !strcmp(out[1].p, "e \xf0\x9f\x98\x80"), "choice 1: '%s'", out[1].p ? out[1].p : "");
    mh_buf_free(&out[0]);
    mh_buf_free(&out[1]);

    /* Without scan_output the stream is not touched and no state is kept. */
    pab_instance *off = make("{\"keywords\":[\"forbidden\"]}", err, sizeof err);
    struct pab_call c;
    mh_call_init(&c, "keyword-blocklist", plugin->capabilities);
    pab_exchange *ex = (pab_exchange *)&c;
    CHECK(off && plugin->exchange_begin(off, &c, &ex) == PAB_OK && ex == NULL, "no state without scan_output");
    if (off) plugin->destroy(off);
    mh_call_free(&c);
    plugin->destroy(inst);
}

/* PolicyABI v1.1 kinds: tool-call arguments and tool descriptions in requests (by their roles, assistant and
 * system), refusals and arguments in answers, and in streams refusal deltas and argument fragments, which
 * are scanned across events but never held back (held text could only come out as message content). */
static pab_verdict one_hook(pab_instance *inst, pab_exchange *ex, struct pab_call *c, enum mh_hook hook,
                            pab_segment_kind kind, const char *role, const char *text, const char *data) {
    mh_hook_begin(c, hook);
    mh_add_segment(c, kind, role, text, strlen(text), 0, 0);
    pab_request rq = {sizeof rq, PAB_API_CHAT_COMPLETIONS, {0}, {0}, {0}, {0}, 0, 0};
    pab_response rs = {sizeof rs, 200, {0}, {0}};
    pab_stream_chunk k = {sizeof k, 0, {0}, {(const uint8_t *)data, strlen(data)}, !strcmp(data, "[DONE]"), 0};
    pab_verdict v = hook == MH_REQUEST    ? plugin->on_request(inst, ex, c, &rq)
                    : hook == MH_RESPONSE ? plugin->on_response(inst, ex, c, &rs)
                                          : plugin->on_stream_chunk(inst, ex, c, &k);
    CHECK(mh_hook_end(c, v) == 0, "ABI rule broken: %s", c->violation);
    return v;
}

static void test_extended_segments(void) {
    CHECK(plugin->capabilities & PAB_CAP_EXTENDED_SEGMENTS, "asks for the v1.1 segment kinds");
    char err[256];
    pab_instance *users = make("{\"keywords\":[\"forbidden\"],\"scan_output\":true}", err, sizeof err);
    pab_instance *all = make("{\"keywords\":[\"forbidden\"],\"scan_roles\":[\"user\",\"assistant\",\"system\"]}",
                             err, sizeof err);
    CHECK(users && all, "create: %s", err);
    if (!users || !all) return;
    struct pab_call c;
    mh_call_init(&c, "keyword-blocklist", plugin->capabilities);
    CHECK(one_hook(all, NULL, &c, MH_REQUEST, PAB_SEGMENT_TOOL_ARGUMENTS, "assistant", "forbidden", "") ==
              PAB_VERDICT_DENY, "keyword in tool-call arguments");
    CHECK(one_hook(all, NULL, &c, MH_REQUEST, PAB_SEGMENT_TOOL_DESCRIPTION, "system", "a forbidden tool", "") ==
              PAB_VERDICT_DENY, "keyword in a tool description");
    CHECK(one_hook(users, NULL, &c, MH_REQUEST, PAB_SEGMENT_TOOL_ARGUMENTS, "assistant", "forbidden", "") ==
              PAB_VERDICT_ALLOW, "scan_roles [user] leaves the assistant's tool calls alone");
    CHECK(one_hook(users, NULL, &c, MH_RESPONSE, PAB_SEGMENT_REFUSAL, "assistant", "no, forbidden", "") ==
              PAB_VERDICT_DENY && !strcmp(c.deny_code.p, "output_blocked"), "keyword in a refusal");
    CHECK(one_hook(users, NULL, &c, MH_RESPONSE, PAB_SEGMENT_TOOL_ARGUMENTS, "assistant", "FORBIDDEN", "") ==
              PAB_VERDICT_DENY, "keyword in an answer's tool-call arguments");
    mh_call_free(&c);

    /* A stream: argument fragments pass unchanged, a keyword split across two of them ends the stream. */
    mh_call_init(&c, "keyword-blocklist", plugin->capabilities);
    pab_exchange *ex = NULL;
    CHECK(plugin->exchange_begin(users, &c, &ex) == PAB_OK && ex != NULL, "exchange_begin");
    const char *chunk = "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0}]}}]}";
    CHECK(one_hook(users, ex, &c, MH_CHUNK, PAB_SEGMENT_TOOL_ARGUMENTS, "assistant", "{\"q\": \"forb", chunk) ==
              PAB_VERDICT_ALLOW && !c.changed, "a fragment goes out as it came");
    CHECK(one_hook(users, ex, &c, MH_CHUNK, PAB_SEGMENT_TOOL_ARGUMENTS, "assistant", "idden\"}", chunk) ==
              PAB_VERDICT_DENY, "keyword split across two argument fragments");
    plugin->exchange_end(users, ex, &c, PAB_END_DENIED);
    mh_call_free(&c);

    mh_call_init(&c, "keyword-blocklist", plugin->capabilities);
    CHECK(plugin->exchange_begin(users, &c, &ex) == PAB_OK, "exchange_begin");
    CHECK(one_hook(users, ex, &c, MH_CHUNK, PAB_SEGMENT_TOOL_ARGUMENTS, "assistant", "{\"q\": \"forb", chunk) ==
              PAB_VERDICT_ALLOW, "fragment");
    CHECK(one_hook(users, ex, &c, MH_CHUNK, PAB_SEGMENT_TOOL_ARGUMENTS, "assistant", "\"}", "[DONE]") ==
              PAB_VERDICT_ALLOW && c.ninserts == 0, "[DONE] inserts no argument text as message content");
    plugin->exchange_end(users, ex, &c, PAB_END_COMPLETED);
    mh_call_free(&c);

    mh_call_init(&c, "keyword-blocklist", plugin->capabilities);
    CHECK(plugin->exchange_begin(users, &c, &ex) == PAB_OK, "exchange_begin");
    CHECK(one_hook(users, ex, &c, MH_CHUNK, PAB_SEGMENT_REFUSAL, "assistant", "that is forbidden", "{}") ==
              PAB_VERDICT_DENY, "keyword in a refusal delta");
    plugin->exchange_end(users, ex, &c, PAB_END_DENIED);
    mh_call_free(&c);
    plugin->destroy(users);
    plugin->destroy(all);
}

/* The built shared object, through the exported symbol only. */
static void test_shared_object(const char *path) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    CHECK(h != NULL, "dlopen %s: %s", path, dlerror());
    if (!h) return;
    pab_plugin_entry_fn entry;
    *(void **)&entry = dlsym(h, "pab_plugin_entry_v1"); /* POSIX: data-to-function pointer via the object */
    CHECK(entry != NULL, "no pab_plugin_entry_v1");
    if (entry) {
        const pab_plugin *saved = plugin;
        plugin = entry(&mh_api);
        CHECK(plugin && !strcmp(plugin->name, "keyword-blocklist"), "descriptor");
        char err[256];
        pab_instance *inst = plugin ? make("{\"keywords\":[\"forbidden-word\"]}", err, sizeof err) : NULL;
        CHECK(inst != NULL, "create through the .so: %s", err);
        if (inst) {
            struct pab_call c;
            const char *const pairs[] = {"user", "say forbidden-word"};
            CHECK(request(inst, &c, pairs, 1) == PAB_VERDICT_DENY, "the .so does not block");
            mh_call_free(&c);
            plugin->destroy(inst);
        }
        plugin = saved;
    }
    dlclose(h);
}

int main(int argc, char **argv) {
    plugin = pab_plugin_entry_v1(&mh_api);
    if (!plugin) {
        printf("no descriptor\n0 passed, 1 failed\n");
        return 1;
    }
    test_config_errors();
    test_request();
    test_response();
    test_stream();
    test_extended_segments();
    if (argc == 3 && !strcmp(argv[1], "--so")) test_shared_object(argv[2]);
    mh_reset();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
