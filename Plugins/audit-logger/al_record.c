/* al_record.c: builds the JSON members of an audit record. */
#include "al_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "al_json.h"
#include "pab_json.h"

const char *al_end_reason_name(pab_end_reason reason, char scratch[32]) {
    switch (reason) {
    case PAB_END_COMPLETED: return "completed";
    case PAB_END_UPSTREAM_ERROR: return "upstream_error";
    case PAB_END_CLIENT_DISCONNECT: return "client_disconnect";
    case PAB_END_DENIED: return "denied";
    case PAB_END_TIMEOUT: return "timeout";
    case PAB_END_HOST_SHUTDOWN: return "host_shutdown";
    case PAB_END_POLICY_ERROR: return "policy_error";
    case PAB_END_REJECTED: return "rejected";
    default: snprintf(scratch, 32, "unknown_%u", (unsigned)reason); return scratch;
    }
}

static int attr(const pab_host_api *host, pab_call *c, uint32_t id, pab_view *out) {
    out->ptr = NULL;
    out->len = 0;
    return host->get_attribute(c, id, out) == PAB_OK;
}

static void key(al_buf *b, const char *name, int first) {
    if (!first) al_buf_add_char(b, ',');
    al_buf_add_char(b, '"');
    al_buf_add_str(b, name);
    al_buf_add_str(b, "\":");
}

/* A string attribute, or null when the host has none. */
static void string_member(al_buf *b, const char *name, const pab_host_api *host, pab_call *c, uint32_t id, int first) {
    pab_view v;
    key(b, name, first);
    if (attr(host, c, id, &v)) al_buf_add_json_string(b, v.ptr, v.len);
    else al_buf_add_str(b, "null");
}

/* A decimal attribute ("200") as a JSON integer; -1 and null when absent or not a number. */
static int64_t integer_member(al_buf *b, const char *name, const pab_host_api *host, pab_call *c, uint32_t id) {
    pab_view v;
    key(b, name, 0);
    int ok = attr(host, c, id, &v) && v.len > 0 && v.len <= 18;
    int64_t value = 0;
    for (size_t i = 0; ok && i < v.len; i++) {
        if (v.ptr[i] < '0' || v.ptr[i] > '9') ok = 0;
        else value = value * 10 + (v.ptr[i] - '0');
    }
    if (!ok) {
        al_buf_add_str(b, "null");
        return -1;
    }
    al_buf_add_uint(b, (uint64_t)value);
    return value;
}

static int64_t token_count(const pab_json *usage, const char *name) {
    int64_t n;
    if (aj_number_int64(pab_json_get(usage, name), &n) != 0 || n < 0) return -1;
    return n;
}

/* "usage" (compacted, or null) and "cost_usd" (a number when the model or target has a price). */
static void usage_members(al_buf *b, const pab_host_api *host, pab_call *c, const al_settings *s) {
    pab_view v;
    pab_json doc;
    char err[160];
    int have = attr(host, c, PAB_ATTR_USAGE_JSON, &v) &&
               aj_parse((const char *)v.ptr, v.len, &doc, err, sizeof err) == 0;
    if (have && doc.type != PAB_JSON_OBJECT) {
        pab_json_free(&doc);
        have = 0;
    }
    key(b, "usage", 0);
    if (!have) {
        al_buf_add_str(b, "null,\"cost_usd\":null");
        return;
    }
    aj_compact((const char *)v.ptr, v.len, b);

    /* Chat Completions counts prompt/completion tokens, the Responses API input/output tokens. */
    int64_t prompt = token_count(&doc, "prompt_tokens");
    int64_t completion = token_count(&doc, "completion_tokens");
    if (prompt < 0 && completion < 0) {
        prompt = token_count(&doc, "input_tokens");
        completion = token_count(&doc, "output_tokens");
    }
    pab_json_free(&doc);
    /* The host's own figure first (PolicyABI 1.2: the target's pricing, or what the provider reported);
     * this plugin's `pricing` table only for hosts that do not give one. */
    pab_view host_cost;
    if (attr(host, c, PAB_ATTR_COST_USD, &host_cost) && host_cost.len > 0 && host_cost.len < 64) {
        char text[64];
        memcpy(text, host_cost.ptr, host_cost.len);
        text[host_cost.len] = 0;
        char *end = NULL;
        double usd = strtod(text, &end);
        if (end && *end == 0 && usd >= 0 && usd < 1e9) {
            key(b, "cost_usd", 0);
            al_buf_add_usd(b, usd);
            return;
        }
    }
    const al_price *price = NULL;
    pab_view name;
    if (attr(host, c, PAB_ATTR_MODEL, &name)) price = al_settings_price(s, (const char *)name.ptr, name.len);
    if (!price && attr(host, c, PAB_ATTR_TARGET_ID, &name))
        price = al_settings_price(s, (const char *)name.ptr, name.len);
    key(b, "cost_usd", 0);
    if (!price || (prompt < 0 && completion < 0)) {
        al_buf_add_str(b, "null");
        return;
    }
    double usd = ((double)(prompt > 0 ? prompt : 0) * price->prompt +
                  (double)(completion > 0 ? completion : 0) * price->completion) / 1e6;
    al_buf_add_usd(b, usd);
}

/* "verdicts": the host's array, compacted. Returns 1 when some verdict is not "allow" (or the list is
 * unreadable, which counts as remarkable). */
static int verdicts_member(al_buf *b, const pab_host_api *host, pab_call *c) {
    pab_view v;
    pab_json doc;
    char err[160];
    key(b, "verdicts", 0);
    if (!attr(host, c, PAB_ATTR_VERDICTS_JSON, &v)) {
        al_buf_add_str(b, "[]");
        return 0;
    }
    if (aj_parse((const char *)v.ptr, v.len, &doc, err, sizeof err) != 0 || doc.type != PAB_JSON_ARRAY) {
        pab_json_free(&doc);
        al_buf_add_str(b, "null");
        return 1;
    }
    aj_compact((const char *)v.ptr, v.len, b);
    int remarkable = 0;
    for (size_t i = 0; i < doc.count; i++) {
        const pab_json *verdict = pab_json_get(&doc.items[i], "verdict");
        if (!verdict || verdict->type != PAB_JSON_STRING || strcmp(verdict->str, "allow") != 0) remarkable = 1;
    }
    pab_json_free(&doc);
    return remarkable;
}

static void tags_member(al_buf *b, const pab_host_api *host, pab_call *c, const char *own_prefix) {
    size_t own_len = strlen(own_prefix);
    key(b, "tags", 0);
    al_buf_add_char(b, '{');
    uint32_t n = host->tag_count(c);
    int first = 1;
    for (uint32_t i = 0; i < n; i++) {
        pab_view k, v;
        if (host->tag_at(c, i, &k, &v) != PAB_OK) continue;
        if (k.len >= own_len && memcmp(k.ptr, own_prefix, own_len) == 0) continue;
        if (!first) al_buf_add_char(b, ',');
        first = 0;
        al_buf_add_json_string(b, k.ptr, k.len);
        al_buf_add_char(b, ':');
        al_buf_add_json_string(b, v.ptr, v.len);
    }
    al_buf_add_char(b, '}');
}

int al_record_members(const pab_host_api *host, pab_call *c, const al_settings *s, const char *own_prefix,
                      pab_end_reason reason, al_buf *b) {
    pab_view v;
    string_member(b, "request_id", host, c, PAB_ATTR_REQUEST_ID, 1);
    key(b, "pack", 0);
    al_buf_add_char(b, '{');
    string_member(b, "name", host, c, PAB_ATTR_PACK_NAME, 1);
    string_member(b, "version", host, c, PAB_ATTR_PACK_VERSION, 0);
    al_buf_add_char(b, '}');
    string_member(b, "client", host, c, PAB_ATTR_CLIENT_ID, 0);
    string_member(b, "client_ip", host, c, PAB_ATTR_CLIENT_IP, 0);
    string_member(b, "route", host, c, PAB_ATTR_ROUTE, 0);
    string_member(b, "target", host, c, PAB_ATTR_TARGET_ID, 0);
    string_member(b, "model", host, c, PAB_ATTR_MODEL, 0);
    key(b, "stream", 0);
    al_buf_add_str(b, attr(host, c, PAB_ATTR_STREAM, &v) && v.len == 4 && memcmp(v.ptr, "true", 4) == 0 ? "true"
                                                                                                       : "false");
    int64_t status = integer_member(b, "status", host, c, PAB_ATTR_STATUS);
    integer_member(b, "latency_ms", host, c, PAB_ATTR_LATENCY_MS);
    char scratch[32];
    key(b, "end_reason", 0);
    const char *end = al_end_reason_name(reason, scratch);
    al_buf_add_json_string(b, (const uint8_t *)end, strlen(end));
    usage_members(b, host, c, s);
    int remarkable = verdicts_member(b, host, c);
    tags_member(b, host, c, own_prefix);
    return s->log_all_access || remarkable || status < 0 || status >= 400;
}
