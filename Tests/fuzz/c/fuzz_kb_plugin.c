/*
 * fuzz_kb_plugin.c: the keyword-blocklist example's scanner and stream hold-back, driven through its hooks
 * by the mock host (Tests/abi/mock_host.c), exactly as the gateway calls them.
 *
 * Input (pieces split on 0x1e, see fuzz_util.h):
 *   0: keywords, one per line;   1: flags byte (bit 0 case_sensitive, bit 1 scan every role);
 *   2..: stream deltas. "@N" in front puts a delta in choice N (0..3); a piece starting with '!' is an
 *   event with a finish_reason (held text of every choice goes out).
 * The same texts are also sent as request segments (roles cycling) and as a non-streamed answer.
 * Checks, beyond the sanitizers and the mock's ABI rules:
 *   - on_request / on_response block exactly when the plain scanner finds a keyword in a scanned text;
 *   - a stream never shows a client a keyword (unless a finish_reason came mid-stream, which the plugin
 *     documents as a gap), and a stream that is not blocked reaches each client unchanged, byte for byte.
 */
#include "../../../Plugins/Examples/keyword-blocklist/keyword_blocklist.c"
#include "mock_host.h"

#include "fuzz_util.h"

#define MAX_ITEMS 4

static void add_str(mh_buf *b, const char *s) { mh_buf_add(b, s, strlen(s)); }

/* A JSON string literal: the config is built from raw fuzz bytes, so escape what JSON requires. */
static void add_json_string(mh_buf *b, const char *s, size_t n) {
    mh_buf_add(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            mh_buf_add(b, "\\", 1);
            mh_buf_add(b, &s[i], 1);
        } else if (c < 0x20) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            mh_buf_add(b, esc, 6);
        } else {
            mh_buf_add(b, &s[i], 1);
        }
    }
    mh_buf_add(b, "\"", 1);
}

static pab_instance *make_instance(const pab_plugin *p, const char *words, size_t n, uint8_t flags) {
    mh_buf cfg = {0};
    add_str(&cfg, "{\"case_sensitive\":");
    add_str(&cfg, flags & 1 ? "true" : "false");
    add_str(&cfg, ",\"keywords\":[");
    int first = 1;
    for (size_t a = 0; a < n;) {
        const char *nl = memchr(words + a, '\n', n - a);
        size_t e = nl ? (size_t)(nl - words) : n;
        if (e > a) {
            if (!first) mh_buf_add(&cfg, ",", 1);
            add_json_string(&cfg, words + a, e - a);
            first = 0;
        }
        a = e + 1;
    }
    add_str(&cfg, "],\"scan_output\":true");
    if (flags & 2) add_str(&cfg, ",\"scan_roles\":[\"system\",\"developer\",\"user\",\"assistant\",\"tool\"]");
    add_str(&cfg, "}");
    struct pab_host_instance hi = {"keyword-blocklist"};
    pab_create_args args = {sizeof args, &mh_api, &hi, {(const uint8_t *)"keyword-blocklist", 17},
                            {(const uint8_t *)cfg.p, cfg.n}};
    pab_instance *inst = NULL;
    char err[256];
    pab_rc rc = p->create(&args, &inst, err, sizeof err);
    if (rc != PAB_OK) FZ_CHECK(first, "create refused a config with keywords: %s", err); /* only "no keywords" */
    mh_buf_free(&cfg);
    return rc == PAB_OK ? inst : NULL;
}

static void check_hook(struct pab_call *c, pab_verdict v) {
    FZ_CHECK(mh_hook_end(c, v) == 0, "ABI rule broken: %s", c->violation);
    FZ_CHECK(v != PAB_VERDICT_ERROR, "unexpected ERROR: %s", c->error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_input in = {data, size, 0, 0};
    const uint8_t *piece;
    size_t len;
    if (!fz_next(&in, &piece, &len)) return 0;
    char *words = fz_utf8_dup(piece, len);
    size_t words_len = len;
    uint8_t flags = 0;
    if (fz_next(&in, &piece, &len) && len > 0) flags = piece[0];

    char *texts[48];
    uint32_t items[48];
    int finish[48];
    size_t lens[48], ntexts = 0;
    while (ntexts < 48 && fz_next(&in, &piece, &len)) {
        uint32_t item = 0;
        int fin = 0;
        if (len >= 2 && piece[0] == '@' && piece[1] >= '0' && piece[1] <= '9') {
            item = (uint32_t)(piece[1] - '0') % MAX_ITEMS;
            piece += 2, len -= 2;
        } else if (len >= 1 && piece[0] == '!') {
            fin = 1;
            piece += 1, len -= 1;
        }
        texts[ntexts] = fz_utf8_dup(piece, len);
        lens[ntexts] = len;
        items[ntexts] = item;
        finish[ntexts] = fin;
        ntexts++;
    }

    const pab_plugin *p = pab_plugin_entry_v1(&mh_api);
    pab_instance *inst = make_instance(p, words, words_len, flags);
    if (!inst) goto done;
    const blocklist *b = (const blocklist *)inst;
    static const char *const roles[] = {"user", "system", "", "assistant", "tool", "developer"};

    /* Request and non-streamed answer: the verdict must match a plain scan of what is scanned. */
    struct pab_call c;
    mh_call_init(&c, "keyword-blocklist", p->capabilities);
    pab_exchange *ex = NULL;
    FZ_CHECK(p->exchange_begin(inst, &c, &ex) == PAB_OK, "exchange_begin failed");
    mh_hook_begin(&c, MH_REQUEST);
    int expect = 0;
    for (size_t i = 0; i < ntexts; i++) {
        const char *role = roles[i % 6];
        mh_add_segment(&c, PAB_SEGMENT_MESSAGE, role, texts[i], lens[i], (uint32_t)i, 0);
        pab_view rv = {(const uint8_t *)role, strlen(role)};
        if (role_is_scanned(b, rv) && find_keyword(b, (const uint8_t *)texts[i], lens[i]) >= 0) expect = 1;
    }
    pab_request req = {sizeof req, PAB_API_CHAT_COMPLETIONS, {0}, {0}, {0}, {0}, 0, 0};
    pab_verdict v = p->on_request(inst, ex, &c, &req);
    check_hook(&c, v);
    FZ_CHECK((v == PAB_VERDICT_DENY) == expect, "on_request verdict %u, expected block=%d", v, expect);

    mh_hook_begin(&c, MH_RESPONSE);
    expect = 0;
    for (size_t i = 0; i < ntexts; i++) {
        mh_add_segment(&c, PAB_SEGMENT_OUTPUT, "assistant", texts[i], lens[i], items[i], 0);
        if (find_keyword(b, (const uint8_t *)texts[i], lens[i]) >= 0) expect = 1;
    }
    pab_response resp = {sizeof resp, 200, {0}, {0}};
    v = p->on_response(inst, ex, &c, &resp);
    check_hook(&c, v);
    FZ_CHECK((v == PAB_VERDICT_DENY) == expect, "on_response verdict %u, expected block=%d", v, expect);
    p->exchange_end(inst, ex, &c, PAB_END_COMPLETED);
    mh_call_free(&c);

    /* The stream: one event per delta, then [DONE]. */
    mh_call_init(&c, "keyword-blocklist", p->capabilities);
    ex = NULL;
    FZ_CHECK(p->exchange_begin(inst, &c, &ex) == PAB_OK, "exchange_begin failed");
    mh_buf sent[MAX_ITEMS] = {{0}}, seen[MAX_ITEMS] = {{0}};
    int blocked = 0, early_finish = 0;
    for (size_t i = 0; i <= ntexts && !blocked; i++) {
        int last = i == ntexts;
        mh_hook_begin(&c, MH_CHUNK);
        const char *json = last ? "[DONE]" : finish[i] ? "{\"choices\":[{\"finish_reason\":\"stop\"}]}" : "{}";
        if (!last && finish[i] && i + 1 < ntexts) early_finish = 1;
        if (!last) {
            mh_add_segment(&c, PAB_SEGMENT_DELTA, "assistant", texts[i], lens[i], items[i], 0);
            mh_buf_add(&sent[items[i]], texts[i], lens[i]);
        }
        pab_stream_chunk k = {sizeof k, i, {0}, {(const uint8_t *)json, strlen(json)}, (uint32_t)last, 0};
        v = p->on_stream_chunk(inst, ex, &c, &k);
        check_hook(&c, v);
        blocked = v == PAB_VERDICT_DENY;
        for (uint32_t it = 0; it < MAX_ITEMS; it++) mh_client_text(&c, v, it, &seen[it]);
    }
    for (uint32_t it = 0; it < MAX_ITEMS; it++) {
        if (!early_finish)
            FZ_CHECK(seen[it].n == 0 || find_keyword(b, (const uint8_t *)seen[it].p, seen[it].n) < 0,
                     "a keyword reached the client of choice %u", it);
        if (!blocked)
            FZ_CHECK(seen[it].n == sent[it].n && (sent[it].n == 0 || memcmp(seen[it].p, sent[it].p, sent[it].n) == 0),
                     "choice %u: client got %zu bytes, upstream sent %zu", it, seen[it].n, sent[it].n);
        mh_buf_free(&sent[it]);
        mh_buf_free(&seen[it]);
    }
    p->exchange_end(inst, ex, &c, blocked ? PAB_END_DENIED : PAB_END_COMPLETED);
    mh_call_free(&c);
    p->destroy(inst);
done:
    mh_reset();
    for (size_t i = 0; i < ntexts; i++) free(texts[i]);
    free(words);
    return 0;
}
