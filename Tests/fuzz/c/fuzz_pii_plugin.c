/*
 * fuzz_pii_plugin.c: the pii-detector's PolicyABI glue (pii_plugin.c): segment scans, the stream
 * events' JSON (finish_reason, Responses event types), per-choice hold-back streams, insert_delta releases,
 * tags and deny answers, driven through the mock host (Tests/abi/mock_host.c).
 *
 * Input: byte 0 picks one of the configs below; then events split on 0x1e, each
 *   [kind][item][text]: kind % 6 = 0 a delta event, 1 a delta whose chunk also carries finish_reason for
 *   that choice, 2 a Responses response.output_text.done with the text as an OUTPUT segment, 3 an event
 *   whose raw data is the text (no segment: exercises the event JSON readers), 4 a streamed tool-call
 *   arguments fragment, 5 a streamed refusal (4 and 5: PolicyABI v1.1 kinds, only sent when the plugin
 *   asks for them with PAB_CAP_EXTENDED_SEGMENTS, as the host does). item % 4 = the choice.
 * Every text is also sent as request segments and as a non-streamed answer (kinds cycling through the
 * ones the plugin sees). The stream ends with [DONE].
 * Checks: the mock host's ABI rules (valid UTF-8 replacements and inserts, MUTATE only with a change, DENY
 * only with deny(), capabilities), and no ERROR verdict (no out-of-memory here: an ERROR is a bug).
 */
#include "mock_host.h"
#include "policy_abi.h"

#include "fuzz_util.h"

static const char *const configs[] = {
    "{}",
    "{\"action\":\"block\"}",
    "{\"pci_mode\":true,\"redaction\":{\"style\":\"partial\"}}",
    "{\"hold_back_max\":64,\"redaction\":{\"style\":\"preserve_length\"}}",
    ("{\"detect_patterns\":[{\"name\":\"ORDER_ID\",\"pattern\":\"ORD-######\"}],\"entities\":[\"SECRETS\"],"
     "\"redaction\":{\"custom_markers\":{\"ORDER_ID\":\"<order \\u00e9>\"},\"label_format\":\"<{TYPE}>\"}}"),
};

static void check(struct pab_call *c, pab_verdict v, const char *hook) {
    FZ_CHECK(mh_hook_end(c, v) == 0, "%s broke an ABI rule: %s", hook, c->violation);
    FZ_CHECK(v != PAB_VERDICT_ERROR, "%s returned ERROR: %s", hook, c->error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const char *config = configs[data[0] % (sizeof configs / sizeof configs[0])];
    fz_input in = {data + 1, size - 1, 0, 0};
    char *texts[48];
    uint8_t kinds[48];
    uint32_t items[48];
    size_t ntexts = 0;
    const uint8_t *piece;
    size_t len;
    while (ntexts < 48 && fz_next(&in, &piece, &len)) {
        kinds[ntexts] = len > 0 ? piece[0] % 6 : 0;
        items[ntexts] = len > 1 ? piece[1] % 4 : 0;
        texts[ntexts++] = len > 2 ? fz_utf8_dup(piece + 2, len - 2) : fz_dup(NULL, 0);
    }

    const pab_plugin *p = pab_plugin_entry_v1(&mh_api);
    FZ_CHECK(p != NULL, "no descriptor");
    struct pab_host_instance hi = {"pii-detector"};
    pab_create_args args = {sizeof args, &mh_api, &hi, {(const uint8_t *)"pii-detector", 12},
                            {(const uint8_t *)config, strlen(config)}};
    pab_instance *inst = NULL;
    char err[256];
    FZ_CHECK(p->create(&args, &inst, err, sizeof err) == PAB_OK, "create: %s", err);

    /* The host shows v1.1 kinds only to plugins that ask for them. */
    const int extended = (p->capabilities & PAB_CAP_EXTENDED_SEGMENTS) != 0;
    static const pab_segment_kind req_kinds[] = {PAB_SEGMENT_MESSAGE, PAB_SEGMENT_INPUT, PAB_SEGMENT_TOOL_ARGUMENTS,
                                                 PAB_SEGMENT_TOOL_DESCRIPTION};
    static const pab_segment_kind resp_kinds[] = {PAB_SEGMENT_OUTPUT, PAB_SEGMENT_TOOL_ARGUMENTS, PAB_SEGMENT_REFUSAL};
    struct pab_call c;
    mh_call_init(&c, "pii-detector", p->capabilities);
    pab_exchange *ex = NULL;
    FZ_CHECK(p->exchange_begin(inst, &c, &ex) == PAB_OK, "exchange_begin");
    mh_hook_begin(&c, MH_REQUEST);
    for (size_t i = 0; i < ntexts && i < MH_MAX_SEGS; i++)
        mh_add_segment(&c, req_kinds[i % (extended ? 4 : 2)], "user", texts[i], strlen(texts[i]), (uint32_t)i, 0);
    pab_request req = {sizeof req, PAB_API_CHAT_COMPLETIONS, {0}, {0}, {0}, {0}, 0, 0};
    check(&c, p->on_request(inst, ex, &c, &req), "on_request");
    mh_hook_begin(&c, MH_RESPONSE);
    for (size_t i = 0; i < ntexts && i < MH_MAX_SEGS; i++)
        mh_add_segment(&c, resp_kinds[extended ? i % 3 : 0], "assistant", texts[i], strlen(texts[i]), items[i], 0);
    pab_response resp = {sizeof resp, 200, {0}, {0}};
    check(&c, p->on_response(inst, ex, &c, &resp), "on_response");
    p->exchange_end(inst, ex, &c, PAB_END_COMPLETED);
    mh_call_free(&c);

    mh_call_init(&c, "pii-detector", p->capabilities);
    ex = NULL;
    FZ_CHECK(p->exchange_begin(inst, &c, &ex) == PAB_OK, "exchange_begin");
    pab_verdict v = PAB_VERDICT_ALLOW;
    char json[160];
    for (size_t i = 0; i <= ntexts && v != PAB_VERDICT_DENY; i++) {
        const int last = i == ntexts;
        mh_hook_begin(&c, MH_CHUNK);
        pab_stream_chunk k = {sizeof k, i, {0}, {0}, (uint32_t)last, 0};
        const char *d = "[DONE]";
        if (!last) {
            const char *t = texts[i];
            size_t tl = strlen(t);
            if (kinds[i] >= 4 && !extended) kinds[i] = 0;
            switch (kinds[i]) {
            case 0: d = "{\"choices\":[{\"delta\":{}}]}"; break;
            case 1:
                snprintf(json, sizeof json, "{\"choices\":[{\"index\":%u,\"delta\":{},\"finish_reason\":\"stop\"}]}",
                         (unsigned)items[i]);
                d = json;
                break;
            case 2:
                d = "{\"type\":\"response.output_text.done\"}";
                k.event = (pab_view){(const uint8_t *)"response.output_text.done", 25};
                break;
            case 3: d = t; break;
            default: d = "{\"choices\":[{\"delta\":{\"tool_calls\":[]}}]}"; break;
            }
            if (kinds[i] == 2) mh_add_segment(&c, PAB_SEGMENT_OUTPUT, "assistant", t, tl, items[i], 0);
            else if (kinds[i] == 4) mh_add_segment(&c, PAB_SEGMENT_TOOL_ARGUMENTS, "assistant", t, tl, items[i], 0);
            else if (kinds[i] == 5) mh_add_segment(&c, PAB_SEGMENT_REFUSAL, "assistant", t, tl, items[i], 0);
            else if (kinds[i] != 3) mh_add_segment(&c, PAB_SEGMENT_DELTA, "assistant", t, tl, items[i], 0);
        }
        k.data = (pab_view){(const uint8_t *)d, strlen(d)};
        v = p->on_stream_chunk(inst, ex, &c, &k);
        check(&c, v, "on_stream_chunk");
    }
    p->exchange_end(inst, ex, &c, v == PAB_VERDICT_DENY ? PAB_END_DENIED : PAB_END_COMPLETED);
    mh_call_free(&c);
    p->destroy(inst);
    mh_reset();
    for (size_t i = 0; i < ntexts; i++) free(texts[i]);
    return 0;
}
