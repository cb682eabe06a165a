/* pi_plugin.c: the PolicyABI v1 glue of the built-in `prompt-injection` policy.
 *
 * on_request, before any upstream call: gather the text segments of the roles in scan_roles, score them
 * as one conversation, and block (DENY 409 input_blocked) or flag (ALLOW with tags) at or above the
 * threshold. The instance is read-only after create, so hooks run concurrently without locks.
 *
 * Segments read: MESSAGE and INPUT (tool results among them, role "tool") and, with PolicyABI v1.1
 * (PAB_CAP_EXTENDED_SEGMENTS), TOOL_ARGUMENTS (by their role, "assistant") and TOOL_DESCRIPTION. A tool
 * description is text the model reads as instructions but that comes from whoever wrote the tool, so it
 * is scanned as third-party content (like a tool result, under the "tool" entry of scan_roles), never as
 * the user's own words.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pi_config.h"
#include "pi_detector.h"
#include "policy_abi.h"

#define PLUGIN_NAME "prompt-injection"
#define PLUGIN_VERSION "1.2.0"

/* v1.3: the hooks never block and take microseconds, so the host may call them on its event loops
 * (0 when built against an older header). */
#ifdef PAB_CAP_INLINE_SAFE
#define PI_CAP_INLINE_SAFE PAB_CAP_INLINE_SAFE
#else
#define PI_CAP_INLINE_SAFE 0u
#endif

/* The segment kinds of v1.1. Built against a v1.0 header the plugin does not ask for them (no capability,
 * abi_minor 0) and never gets them; the constants exist only so that the same code compiles. */
#ifdef PAB_CAP_EXTENDED_SEGMENTS
#define PI_CAP_EXTENDED_SEGMENTS PAB_CAP_EXTENDED_SEGMENTS
#else
#define PI_CAP_EXTENDED_SEGMENTS 0u
#define PAB_SEGMENT_TOOL_ARGUMENTS 5u
#define PAB_SEGMENT_TOOL_DESCRIPTION 7u
#endif

struct pab_instance {
    const pab_host_api *host;
    pab_host_instance *hi;
    pi_config cfg;
    pi_detector *det;
    uint32_t c_scanned, c_flagged, c_blocked, c_errors;
    uint32_t c_family[PI_FAM_COUNT];
};

static pab_view view_of(const char *s) { return (pab_view){(const uint8_t *)s, strlen(s)}; }

static int define_counter(pab_instance *in, const char *name, uint32_t *id) {
    return in->host->counter_define(in->hi, view_of(name), id) == PAB_OK ? 0 : -1;
}

static pab_rc pi_create(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap) {
    *out = NULL;
    if (args == NULL || args->host == NULL) {
        snprintf(err, err_cap, "no host API");
        return PAB_ERR_FAILED;
    }
    pab_instance *in = calloc(1, sizeof(pab_instance));
    if (in == NULL) {
        snprintf(err, err_cap, "out of memory");
        return PAB_ERR_FAILED;
    }
    in->host = args->host;
    in->hi = args->host_instance;
    const char *json = (const char *)args->config_json.ptr;
    size_t json_len = args->config_json.len;
    if (json == NULL || json_len == 0) {
        json = "{}";
        json_len = 2;
    }
    if (pi_config_parse(json, json_len, &in->cfg, err, err_cap) != 0) {
        free(in);
        return PAB_ERR_FAILED;
    }
    in->det = pi_detector_new(&in->cfg.detector, err, err_cap);
    if (in->det == NULL) goto fail;
    if (define_counter(in, "requests_scanned", &in->c_scanned) || define_counter(in, "requests_flagged", &in->c_flagged) ||
        define_counter(in, "requests_blocked", &in->c_blocked) || define_counter(in, "scan_errors", &in->c_errors)) {
        snprintf(err, err_cap, "could not define counters");
        goto fail;
    }
    for (int f = 0; f < PI_FAM_COUNT; f++) {
        char name[64];
        snprintf(name, sizeof(name), "family_%s", pi_family_name(1u << f));
        if (define_counter(in, name, &in->c_family[f]) != 0) {
            snprintf(err, err_cap, "could not define counter %s", name);
            goto fail;
        }
    }
    *out = in;
    return PAB_OK;
fail:
    pi_detector_free(in->det);
    pi_config_free(&in->cfg);
    free(in);
    return PAB_ERR_FAILED;
}

static void pi_destroy(pab_instance *in) {
    if (in == NULL) return;
    pi_detector_free(in->det);
    pi_config_free(&in->cfg);
    free(in);
}

static pab_verdict fail_call(pab_instance *in, pab_call *c, const char *why) {
    in->host->counter_add(in->hi, in->c_errors, 1);
    in->host->set_error(c, view_of(why));
    return PAB_VERDICT_ERROR;
}

/* The conversation: message texts (and the tool-call arguments inside those messages) in document order,
 * one turn per message; then the tool descriptions, one turn per tool, after every message: the model reads
 * them with the latest turn, so their signals are never discounted as old. Returns how many were written. */
static size_t gather(const pab_instance *in, pab_call *c, uint32_t n, pi_message *msgs) {
    const pab_host_api *h = in->host;
    size_t m = 0;
    uint32_t next_turn = 0; /* one past the last message's turn */
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < n; i++) {
            pab_segment seg;
            memset(&seg, 0, sizeof(seg));
            seg.struct_size = sizeof(seg);
            if (h->get_segment(c, i, &seg) != PAB_OK || seg.text.len == 0) continue;
            int description = seg.kind == PAB_SEGMENT_TOOL_DESCRIPTION;
            if (description != (pass == 1)) continue;
            uint32_t role, turn = seg.item_index;
            if (description) {
                role = PI_ROLE_TOOL;
                turn = next_turn + seg.item_index < next_turn ? UINT32_MAX : next_turn + seg.item_index;
            } else if (seg.kind == PAB_SEGMENT_MESSAGE || seg.kind == PAB_SEGMENT_INPUT ||
                       seg.kind == PAB_SEGMENT_TOOL_ARGUMENTS) {
                role = pi_role_bit((const char *)seg.role.ptr, seg.role.len);
                if (turn >= next_turn) next_turn = turn == UINT32_MAX ? UINT32_MAX : turn + 1;
            } else {
                continue;
            }
            if (!(role & in->cfg.scan_roles)) continue;
            msgs[m++] = (pi_message){seg.text.ptr, seg.text.len, role == PI_ROLE_TOOL ? PI_SOURCE_TOOL : PI_SOURCE_USER,
                                     turn};
        }
    }
    return m;
}

static pab_verdict pi_on_request(pab_instance *in, pab_exchange *ex, pab_call *c, const pab_request *r) {
    (void)ex;
    (void)r;
    const pab_host_api *h = in->host;
    uint32_t n = h->segment_count(c);
    pi_message stack_msgs[32];
    pi_message *msgs = stack_msgs;
    if (n > 32) {
        msgs = malloc((size_t)n * sizeof(pi_message));
        if (msgs == NULL) return fail_call(in, c, "out of memory");
    }
    size_t m = gather(in, c, n, msgs);
    h->counter_add(in->hi, in->c_scanned, 1);
    pi_result res;
    int rc = pi_scan_messages(in->det, msgs, m, &res);
    if (msgs != stack_msgs) free(msgs);
    if (rc != 0) return fail_call(in, c, "out of memory while scanning");
    if (!res.detected) return PAB_VERDICT_ALLOW;

    int block = in->cfg.action == PI_ACTION_BLOCK;
    for (int f = 0; f < PI_FAM_COUNT; f++) {
        if (res.families & (1u << f)) h->counter_add(in->hi, in->c_family[f], 1);
    }
    h->counter_add(in->hi, block ? in->c_blocked : in->c_flagged, 1);
    /* Tags carry the verdict's shape only, never the prompt text. */
    char score[16], families[256];
    snprintf(score, sizeof(score), "%.2f", res.score);
    pi_format_families(res.families, families, sizeof(families));
    const char *action = block ? "blocked" : "flagged";
    h->set_tag(c, view_of("score"), view_of(score));
    h->set_tag(c, view_of("families"), view_of(families));
    h->set_tag(c, view_of("action"), view_of(action));
    pab_log_level level = in->cfg.log_level;
    if (h->log_enabled(level)) {
        char line[384];
        snprintf(line, sizeof(line), "prompt injection detected: score=%s families=%s action=%s", score, families,
                 action);
        h->log(in->hi, level, view_of(line));
    }
    if (!block) return PAB_VERDICT_ALLOW;
    if (h->deny(c, 409, view_of("input_blocked"), view_of(in->cfg.message)) != PAB_OK) {
        return fail_call(in, c, "host refused the deny answer");
    }
    return PAB_VERDICT_DENY;
}

static const char CONFIG_SCHEMA[] =
    "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
    "\"threshold\":{\"type\":\"number\",\"exclusiveMinimum\":0,\"maximum\":1,\"default\":0.5},"
    "\"attack_patterns\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":256},"
    "\"maxItems\":1000,\"default\":[]},"
    "\"encoding\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
    "\"decode_base64\":{\"type\":\"boolean\",\"default\":true},\"decode_hex\":{\"type\":\"boolean\",\"default\":true},"
    "\"max_decode_depth\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":4,\"default\":2},"
    "\"normalize_unicode\":{\"type\":\"boolean\",\"default\":true},"
    "\"detect_homoglyphs\":{\"type\":\"boolean\",\"default\":true}}},"
    "\"boundaries\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
    "\"detect_chat_template_tokens\":{\"type\":\"boolean\",\"default\":true},"
    "\"detect_role_markers\":{\"type\":\"boolean\",\"default\":true}}},"
    "\"scan_roles\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"enum\":[\"user\",\"tool\",\"assistant\","
    "\"system\",\"developer\"]},\"default\":[\"user\",\"tool\"]},"
    "\"multi_turn\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
    "\"decay\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1,\"default\":0.7}}},"
    "\"action\":{\"enum\":[\"block\",\"flag\"]},"
    "\"mode\":{\"enum\":[\"rules\",\"model\",\"both\"],\"default\":\"rules\"},"
    "\"model\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":4096},"
    "\"response\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
    "\"action\":{\"enum\":[\"block\",\"flag\"],\"default\":\"block\"},"
    "\"message\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":1024,"
    "\"default\":\"" PI_DEFAULT_MESSAGE "\"},"
    "\"log_level\":{\"enum\":[\"trace\",\"debug\",\"info\",\"warn\",\"error\"],\"default\":\"warn\"}}}}}";

static const pab_plugin DESCRIPTOR = {
    .struct_size = sizeof(pab_plugin),
    .abi_major = PAB_ABI_MAJOR,
    .abi_minor = PAB_ABI_MINOR,
    .name = PLUGIN_NAME,
    .version = PLUGIN_VERSION,
    .description = "Blocks or flags prompt injection, jailbreaks and system-prompt extraction in requests",
    /* Reads the v1.1 kinds; never mutates. */
    .capabilities = PI_CAP_EXTENDED_SEGMENTS | PI_CAP_INLINE_SAFE,
    .config_schema_json = CONFIG_SCHEMA,
    .create = pi_create,
    .destroy = pi_destroy,
    .exchange_begin = NULL,
    .exchange_end = NULL,
    .on_request = pi_on_request,
    .on_response = NULL,
    .on_stream_chunk = NULL,
    .on_stream_end = NULL,
};

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *host) {
    if (host == NULL || host->abi_major != PAB_ABI_MAJOR) return NULL;
    return &DESCRIPTOR;
}
