/*
 * pii_ext_tests.c: the PolicyABI v1.1 segment kinds through the fake host: tool-call arguments and tool
 * descriptions in requests, refusals and arguments in answers, and in streams refusal deltas and raw
 * argument fragments, whose redaction must leave the JSON the client assembles valid.
 */
#include <stdio.h>
#include <string.h>

#include "pab_json.h"
#include "pii_test.h"

static pab_request request(void) {
    pab_request r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.api = PAB_API_CHAT_COMPLETIONS;
    return r;
}

static pab_response response(void) {
    pab_response r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.http_status = 200;
    return r;
}

/* One call with one segment. */
static void one_segment(pab_call *c, uint32_t kind, uint32_t item, uint32_t part, const char *text) {
    memset(c, 0, sizeof *c);
    c->nseg = 1;
    c->segs[0] = (fake_seg){kind, item, part, ""};
    snprintf(c->segs[0].text, sizeof c->segs[0].text, "%s", text);
}

static int valid_json(const char *text) {
    pab_json v;
    pab_json_error err;
    if (pab_json_parse(text, strlen(text), PAB_JSON_ALLOW_NUL, &v, &err) != 0) return 0;
    pab_json_free(&v);
    return 1;
}

/* Streams `fragments` as TOOL_ARGUMENTS segments of chat chunks (choice 0, tool call 0) and appends what the
 * client receives to `client`. Returns the last verdict. */
static pab_verdict stream_arguments(const pab_plugin *p, pab_instance *inst, pab_exchange *ex,
                                    const char *const *fragments, size_t n, char *client, size_t cap) {
    pab_verdict v = PAB_VERDICT_ALLOW;
    client[0] = '\0';
    for (size_t k = 0; k < n; k++) {
        pab_call c;
        one_segment(&c, PAB_SEGMENT_TOOL_ARGUMENTS, 0, 0, fragments[k]);
        pab_stream_chunk ck = chunk("", "{\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                                        "\"delta\":{\"tool_calls\":[{\"index\":0}]}}]}");
        v = p->on_stream_chunk(inst, ex, &c, &ck);
        if (v == PAB_VERDICT_DENY) return v;
        strncat(client, c.segs[0].text, cap - strlen(client) - 1);
    }
    return v;
}

static void test_request_and_response(const pab_plugin *p) {
    pab_instance *inst = make(p, "{}");
    pab_exchange *ex = NULL;
    pab_call c;
    memset(&c, 0, sizeof c);
    CHECK(p->exchange_begin(inst, &c, &ex) == PAB_OK, "exchange_begin");
    c.nseg = 4;
    c.segs[0] = (fake_seg){PAB_SEGMENT_TOOL_DESCRIPTION, 0, 0, "Sends mail. Support: help@corp.example.com"};
    c.segs[1] = (fake_seg){PAB_SEGMENT_MESSAGE, 0, 0, "mail my boss"};
    c.segs[2] = (fake_seg){PAB_SEGMENT_TOOL_ARGUMENTS, 1, 0, "jane.doe@example.com"};
    c.segs[3] = (fake_seg){PAB_SEGMENT_MESSAGE, 2, 0, "sent to jane.doe@example.com"}; /* the tool result */
    pab_request rq = request();
    CHECK(p->on_request(inst, ex, &c, &rq) == PAB_VERDICT_MUTATE, "request with tool text redacted");
    CHECK(strcmp(c.segs[0].text, "Sends mail. Support: [EMAIL_ADDRESS]") == 0, "tool description: %s", c.segs[0].text);
    CHECK(strcmp(c.segs[2].text, "[EMAIL_ADDRESS]") == 0, "email in tool-call arguments: %s", c.segs[2].text);
    CHECK(strcmp(c.segs[3].text, "sent to [EMAIL_ADDRESS]") == 0, "tool result: %s", c.segs[3].text);
    CHECK(strcmp(tag(&c, "EMAIL_ADDRESS"), "3") == 0, "all three counted: %s", tag(&c, "EMAIL_ADDRESS"));

    one_segment(&c, PAB_SEGMENT_REFUSAL, 0, 0, "I can't charge 4111 1111 1111 1111 for you.");
    c.nseg = 3;
    c.segs[1] = (fake_seg){PAB_SEGMENT_TOOL_ARGUMENTS, 0, 0, "+44 20 7123 4567"};
    c.segs[2] = (fake_seg){PAB_SEGMENT_OUTPUT, 0, 0, "Nothing personal."};
    pab_response rs = response();
    CHECK(p->on_response(inst, ex, &c, &rs) == PAB_VERDICT_MUTATE, "answer redacted");
    CHECK(strcmp(c.segs[0].text, "I can't charge [CREDIT_CARD] for you.") == 0, "card in a refusal: %s", c.segs[0].text);
    CHECK(strcmp(c.segs[1].text, "[PHONE_NUMBER]") == 0, "answer's tool-call arguments: %s", c.segs[1].text);
    CHECK(c.replaced == 2, "only changed segments replaced: %d", c.replaced);
    p->exchange_end(inst, ex, &c, PAB_END_COMPLETED);
    p->destroy(inst);

    inst = make(p, "{\"action\":\"block\"}");
    p->exchange_begin(inst, &c, &ex);
    one_segment(&c, PAB_SEGMENT_TOOL_DESCRIPTION, 3, 1, "Example: ssn 123-45-6789");
    CHECK(p->on_request(inst, ex, &c, &rq) == PAB_VERDICT_DENY && strcmp(c.deny_code, "input_blocked") == 0 &&
              c.replaced == 0,
          "block: PII in a tool description refuses the request (%s)", c.deny_code);
    one_segment(&c, PAB_SEGMENT_REFUSAL, 0, 0, "not for AKIAIOSFODNN7EXAMPLE");
    CHECK(p->on_response(inst, ex, &c, &rs) == PAB_VERDICT_DENY && strcmp(c.deny_code, "output_blocked") == 0,
          "block: a secret in a refusal refuses the answer (%s)", c.deny_code);
    p->exchange_end(inst, ex, &c, PAB_END_DENIED);
    p->destroy(inst);
}

static void test_stream(const pab_plugin *p) {
    pab_instance *inst = make(p, "{}");
    pab_exchange *ex = NULL;
    pab_call c;
    memset(&c, 0, sizeof c);
    char client[1024];

    /* A refusal delta is redacted within its own event (nothing is held back). */
    p->exchange_begin(inst, &c, &ex);
    one_segment(&c, PAB_SEGMENT_REFUSAL, 0, 0, "I won't use the card 4111 1111 1111 1111.");
    pab_stream_chunk ck = chunk("", "{\"choices\":[{\"index\":0,\"delta\":{\"refusal\":\"...\"}}]}");
    CHECK(p->on_stream_chunk(inst, ex, &c, &ck) == PAB_VERDICT_MUTATE &&
              strcmp(c.segs[0].text, "I won't use the card [CREDIT_CARD].") == 0,
          "refusal delta: %s", c.segs[0].text);

    /* Argument fragments: values whole within a fragment are redacted; the lexer follows strings and escapes
     * across events (the second fragment starts inside a string, the fourth after an escaped quote). */
    const char *frags[] = {"{\"to\": \"", "jane@example.com\", \"note\": \"say \\", "\"hi\\\" jo@example.org\\n",
                           "bob@example.net\", \"card\": 4111111111111111, \"n\": 1}"};
    CHECK(stream_arguments(p, inst, ex, frags, 4, client, sizeof client) == PAB_VERDICT_MUTATE, "fragments redacted");
    CHECK(strcmp(client, "{\"to\": \"[EMAIL_ADDRESS]\", \"note\": \"say \\\"hi\\\" [EMAIL_ADDRESS]\\n[EMAIL_ADDRESS]\", "
                         "\"card\": \"[CREDIT_CARD]\", \"n\": 1}") == 0,
          "client assembles: %s", client);
    CHECK(valid_json(client), "assembled arguments are valid JSON: %s", client);
    p->exchange_end(inst, ex, &c, PAB_END_COMPLETED);

    /* Responses: function_call_arguments.delta carries raw fragments; output_item.done a parsed value. */
    p->exchange_begin(inst, &c, &ex);
    one_segment(&c, PAB_SEGMENT_TOOL_ARGUMENTS, 1, 0, "{\"ip\":\"10.1.2.3\"}");
    ck = chunk("response.function_call_arguments.delta", "{\"type\":\"response.function_call_arguments.delta\"}");
    CHECK(p->on_stream_chunk(inst, ex, &c, &ck) == PAB_VERDICT_MUTATE &&
              strcmp(c.segs[0].text, "{\"ip\":\"[IP_ADDRESS]\"}") == 0,
          "Responses argument delta: %s", c.segs[0].text);
    one_segment(&c, PAB_SEGMENT_TOOL_ARGUMENTS, 1, 0, "10.1.2.3");
    ck = chunk("", "{\"type\":\"response.output_item.done\",\"item\":{\"type\":\"function_call\"}}");
    CHECK(p->on_stream_chunk(inst, ex, &c, &ck) == PAB_VERDICT_MUTATE && strcmp(c.segs[0].text, "[IP_ADDRESS]") == 0,
          "a parsed value in a summary event is redacted whole: %s", c.segs[0].text);
    p->exchange_end(inst, ex, &c, PAB_END_COMPLETED);
    p->destroy(inst);

    /* What a fragment cannot show is left alone rather than breaking the JSON: a number that may go on in
     * the next fragment, and a value cut in two (the documented limit). Markers are written JSON-escaped. */
    inst = make(p, "{\"redaction\":{\"custom_markers\":{\"EMAIL_ADDRESS\":\"<\\\"mail\\\">\"}}}");
    p->exchange_begin(inst, &c, &ex);
    const char *cut[] = {"{\"a\": \"x@example.com\", \"card\": 4111111111111111", ", \"b\": \"jane@exa", "mple.com\"}"};
    stream_arguments(p, inst, ex, cut, 3, client, sizeof client);
    CHECK(strcmp(client, "{\"a\": \"<\\\"mail\\\">\", \"card\": 4111111111111111, \"b\": \"jane@example.com\"}") == 0,
          "cut values stay, markers escaped: %s", client);
    CHECK(valid_json(client), "still valid JSON: %s", client);
    p->exchange_end(inst, ex, &c, PAB_END_COMPLETED);
    p->destroy(inst);

    inst = make(p, "{\"action\":\"block\"}");
    p->exchange_begin(inst, &c, &ex);
    const char *ssn[] = {"{\"ssn\": \"123-45-6789\"}"};
    CHECK(stream_arguments(p, inst, ex, ssn, 1, client, sizeof client) == PAB_VERDICT_DENY, "block: PII in a fragment");
    p->exchange_end(inst, ex, &c, PAB_END_DENIED);
    p->destroy(inst);
}

void test_extended_segments(void) {
    const pab_plugin *p = pab_plugin_entry_v1(&fake_host);
    if (p == NULL) return;
    CHECK((p->capabilities & PAB_CAP_EXTENDED_SEGMENTS) != 0 && p->abi_minor == PAB_ABI_MINOR,
          "asks for the v1.1 segment kinds");
    test_request_and_response(p);
    test_stream(p);
}
