/* HOST MUST SAY: nothing (a well-behaved test plugin); it records what the host did, for the tests to check. */
/*
 * recorder.c: a configurable test plugin ("recorder") that leaves evidence of every call so that host
 * tests can check ordering, tag propagation, exchange pairing, denies and mutations.
 *
 * One file, many chain entries: a chain may load this file several times under different names with
 * `plugin.file: recorder.so` (e.g. policies "first" and "second"). Without an explicit plugin.file the
 * host requires the chain entry to be named "recorder", like the descriptor.
 *
 * Config (canonical JSON, every key optional):
 *   "journal": "/path"           append one line per exchange_begin and per exchange_end:
 *                                  "begin <policy> <request-id>"
 *                                  "end <policy> <request-id> <reason> <status>"
 *                                reason: completed|upstream_error|client_disconnect|denied|timeout|
 *                                host_shutdown|policy_error|rejected|unknown-<n>; status: PAB_ATTR_STATUS
 *                                or "-" when the host has none.
 *   "deny_if_contains": "s"      on_request: DENY 409 "input_blocked" if any segment contains s
 *   "deny_response_if_contains": "s"  on_response: DENY 409 "output_blocked" if an output segment contains s
 *   "deny_stream_if_contains": "s"    on_stream_chunk: DENY 409 "output_blocked" if a delta contains s
 *   "message": "s"               the deny message (default "blocked by recorder")
 *   "replace": "a", "with": "b"  in every phase, replace every "a" with "b" in every segment through
 *                                replace_segment_text, and return MUTATE when something changed
 *   "tag_key": "k", "tag_value": "v"  set tag k = v in every hook
 *   "fail_begin": true           exchange_begin fails (PAB_ERR_FAILED) after journalling "beginfail ..."
 *
 * Tags it sets (the host stores them as "<policy>.<key>"):
 *   seen_request / seen_response / seen_stream_chunk / seen_stream_end = "1"  in that hook
 *   seen        (on_request) comma-separated FULL keys of every tag present when on_request started,
 *               in tag order, before this policy set any tag in that call: a later policy sees an
 *               earlier policy's tags
 *   request_id  (on_request) PAB_ATTR_REQUEST_ID as the hook saw it
 *   chunks      (on_stream_chunk) number of stream events this exchange has seen so far
 *   stream_end_reason (on_stream_end) the reason name, as in the journal
 *
 * Every hook checks that `ex` is the exchange state exchange_begin returned for this exchange; if not,
 * it returns PAB_VERDICT_ERROR with reason "exchange state mismatch" (a host bug).
 *
 * Threads: the instance is read-only after create; per-exchange state lives in the pab_exchange; the
 * journal is appended with one write(2) per line on an O_APPEND descriptor, atomic for regular files.
 */
#define _POSIX_C_SOURCE 200809L
#include "pab_json.h"
#include "policy_abi.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXCHANGE_MAGIC 0x52454344u /* "RECD" */

typedef struct recorder {
    const pab_host_api *host;
    char *policy; /* the chain entry name */
    char *journal, *deny_if, *deny_response_if, *deny_stream_if, *message;
    char *replace, *with, *tag_key, *tag_value;
    size_t replace_len, with_len;
    int fail_begin;
} recorder;

typedef struct exchange_state {
    uint32_t magic;
    char request_id[128];
    uint64_t chunks;
} exchange_state;

static pab_view text(const char *s) { return (pab_view){(const uint8_t *)s, s ? strlen(s) : 0}; }

static int contains(pab_view hay, const char *needle) {
    size_t n = strlen(needle);
    if (n == 0 || n > hay.len) return n == 0;
    for (size_t i = 0; i + n <= hay.len; i++)
        if (memcmp(hay.ptr + i, needle, n) == 0) return 1;
    return 0;
}

static const char *reason_name(pab_end_reason reason, char *buf, size_t cap) {
    static const char *names[] = {"completed", "upstream_error", "client_disconnect", "denied",
                                  "timeout",   "host_shutdown",  "policy_error",      "rejected"};
    if (reason < sizeof names / sizeof names[0]) return names[reason];
    snprintf(buf, cap, "unknown-%u", reason);
    return buf;
}

static void journal_line(const recorder *r, const char *line) {
    if (!r->journal) return;
    int fd = open(r->journal, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        r->host->log(NULL, PAB_LOG_ERROR, text("recorder: cannot open the journal"));
        return;
    }
    size_t len = strlen(line);
    if (write(fd, line, len) != (ssize_t)len) r->host->log(NULL, PAB_LOG_ERROR, text("recorder: short journal write"));
    close(fd);
}

static void free_recorder(recorder *r) {
    if (!r) return;
    char *fields[] = {r->policy,  r->journal, r->deny_if, r->deny_response_if, r->deny_stream_if,
                      r->message, r->replace, r->with,    r->tag_key,          r->tag_value};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) free(fields[i]);
    free(r);
}

/* Reads optional string `key` into a malloc'd copy *out (the tree is freed after create). Returns 0 on
 * success (also when absent), else writes err. */
static int read_string(const pab_json *root, const char *key, char **out, size_t *out_len, char *err,
                       size_t err_cap) {
    const char *value;
    size_t len;
    int rc = pab_json_get_string(root, key, &value, &len);
    if (rc == PAB_JSON_MISSING) return 0;
    if (rc != PAB_JSON_OK) {
        snprintf(err, err_cap, "%s must be a string", key);
        return -1;
    }
    if (!(*out = malloc(len + 1))) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    memcpy(*out, value, len + 1);
    if (out_len) *out_len = len;
    return 0;
}

static pab_rc create(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap) {
    recorder *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, err_cap, "out of memory");
        return PAB_ERR_FAILED;
    }
    r->host = args->host;
    r->policy = malloc(args->policy_name.len + 1);
    if (!r->policy) {
        free_recorder(r);
        snprintf(err, err_cap, "out of memory");
        return PAB_ERR_FAILED;
    }
    memcpy(r->policy, args->policy_name.ptr, args->policy_name.len);
    r->policy[args->policy_name.len] = '\0';

    pab_json root;
    pab_json_error jerr;
    if (pab_json_parse((const char *)args->config_json.ptr, args->config_json.len, PAB_JSON_ALLOW_NUL, &root, &jerr) !=
            0 ||
        root.type != PAB_JSON_OBJECT) {
        snprintf(err, err_cap, "config is not a JSON object");
        pab_json_free(&root);
        free_recorder(r);
        return PAB_ERR_FAILED;
    }
    int bool_rc = PAB_JSON_OK;
    if (read_string(&root, "journal", &r->journal, NULL, err, err_cap) ||
        read_string(&root, "deny_if_contains", &r->deny_if, NULL, err, err_cap) ||
        read_string(&root, "deny_response_if_contains", &r->deny_response_if, NULL, err, err_cap) ||
        read_string(&root, "deny_stream_if_contains", &r->deny_stream_if, NULL, err, err_cap) ||
        read_string(&root, "message", &r->message, NULL, err, err_cap) ||
        read_string(&root, "replace", &r->replace, &r->replace_len, err, err_cap) ||
        read_string(&root, "with", &r->with, &r->with_len, err, err_cap) ||
        read_string(&root, "tag_key", &r->tag_key, NULL, err, err_cap) ||
        read_string(&root, "tag_value", &r->tag_value, NULL, err, err_cap) ||
        ((bool_rc = pab_json_get_bool(&root, "fail_begin", &r->fail_begin)) != PAB_JSON_OK &&
         bool_rc != PAB_JSON_MISSING)) {
        if (bool_rc != PAB_JSON_OK && bool_rc != PAB_JSON_MISSING) snprintf(err, err_cap, "fail_begin must be a boolean");
        pab_json_free(&root);
        free_recorder(r);
        return PAB_ERR_FAILED;
    }
    pab_json_free(&root);
    const char *problem = NULL;
    if (!r->replace != !r->with) problem = "replace and with must be given together";
    else if (r->replace && r->replace_len == 0) problem = "replace must not be empty";
    else if (!r->tag_key != !r->tag_value) problem = "tag_key and tag_value must be given together";
    if (problem) {
        snprintf(err, err_cap, "%s", problem);
        free_recorder(r);
        return PAB_ERR_FAILED;
    }
    *out = (pab_instance *)r;
    return PAB_OK;
}

static void destroy(pab_instance *inst) { free_recorder((recorder *)inst); }

static pab_rc exchange_begin(pab_instance *inst, pab_call *c, pab_exchange **out) {
    const recorder *r = (const recorder *)inst;
    if (r->fail_begin) {
        char line[512];
        snprintf(line, sizeof line, "beginfail %s\n", r->policy);
        journal_line(r, line);
        return PAB_ERR_FAILED;
    }
    exchange_state *s = calloc(1, sizeof *s);
    if (!s) return PAB_ERR_FAILED;
    s->magic = EXCHANGE_MAGIC;
    pab_view id;
    if (r->host->get_attribute(c, PAB_ATTR_REQUEST_ID, &id) == PAB_OK)
        snprintf(s->request_id, sizeof s->request_id, "%.*s", (int)id.len, (const char *)id.ptr);
    else snprintf(s->request_id, sizeof s->request_id, "-");
    char line[512];
    snprintf(line, sizeof line, "begin %s %s\n", r->policy, s->request_id);
    journal_line(r, line);
    *out = (pab_exchange *)s;
    return PAB_OK;
}

static void exchange_end(pab_instance *inst, pab_exchange *ex, pab_call *c, pab_end_reason reason) {
    const recorder *r = (const recorder *)inst;
    exchange_state *s = (exchange_state *)ex;
    char status[16] = "-", unknown[32], line[512];
    pab_view v;
    if (r->host->get_attribute(c, PAB_ATTR_STATUS, &v) == PAB_OK)
        snprintf(status, sizeof status, "%.*s", (int)v.len, (const char *)v.ptr);
    snprintf(line, sizeof line, "end %s %s %s %s\n", r->policy,
             s && s->magic == EXCHANGE_MAGIC ? s->request_id : "(bad-exchange)",
             reason_name(reason, unknown, sizeof unknown), status);
    journal_line(r, line);
    free(s); /* a second end for one exchange shows up as a second "end" line in the journal */
}

/* Common start of every hook: the exchange-state check and the always-set tags. Returns 0 if fine. */
static int hook_start(const recorder *r, pab_exchange *ex, pab_call *c, const char *seen_key) {
    const exchange_state *s = (const exchange_state *)ex;
    if (!s || s->magic != EXCHANGE_MAGIC) {
        r->host->set_error(c, text("exchange state mismatch"));
        return -1;
    }
    if (r->host->set_tag(c, text(seen_key), text("1")) != PAB_OK ||
        (r->tag_key && r->host->set_tag(c, text(r->tag_key), text(r->tag_value)) != PAB_OK)) {
        r->host->set_error(c, text("set_tag failed"));
        return -1;
    }
    return 0;
}

static pab_verdict deny(const recorder *r, pab_call *c, const char *code) {
    pab_rc rc = r->host->deny(c, 409, text(code), text(r->message ? r->message : "blocked by recorder"));
    if (rc != PAB_OK) {
        r->host->set_error(c, text("deny() refused"));
        return PAB_VERDICT_ERROR;
    }
    return PAB_VERDICT_DENY;
}

/* 1 if any segment of the current call contains `needle`. */
static int any_segment_contains(const recorder *r, pab_call *c, const char *needle) {
    uint32_t n = r->host->segment_count(c);
    for (uint32_t i = 0; i < n; i++) {
        pab_segment seg = {.struct_size = sizeof seg};
        if (r->host->get_segment(c, i, &seg) == PAB_OK && contains(seg.text, needle)) return 1;
    }
    return 0;
}

/* Applies "replace"/"with" to every segment of the current call. Returns ALLOW (nothing changed),
 * MUTATE, or ERROR (a host function failed; the reason is set). */
static pab_verdict replace_all(const recorder *r, pab_call *c) {
    if (!r->replace) return PAB_VERDICT_ALLOW;
    int changed = 0;
    uint32_t n = r->host->segment_count(c);
    for (uint32_t i = 0; i < n; i++) {
        pab_segment seg = {.struct_size = sizeof seg};
        if (r->host->get_segment(c, i, &seg) != PAB_OK) continue;
        size_t hits = 0;
        for (size_t k = 0; k + r->replace_len <= seg.text.len;) {
            if (memcmp(seg.text.ptr + k, r->replace, r->replace_len) == 0) {
                hits++;
                k += r->replace_len;
            } else {
                k++;
            }
        }
        if (hits == 0) continue;
        size_t cap = seg.text.len - hits * r->replace_len + hits * r->with_len;
        uint8_t *buf = malloc(cap ? cap : 1);
        if (!buf) {
            r->host->set_error(c, text("out of memory"));
            return PAB_VERDICT_ERROR;
        }
        size_t o = 0;
        for (size_t k = 0; k < seg.text.len;) {
            if (k + r->replace_len <= seg.text.len && memcmp(seg.text.ptr + k, r->replace, r->replace_len) == 0) {
                memcpy(buf + o, r->with, r->with_len);
                o += r->with_len;
                k += r->replace_len;
            } else {
                buf[o++] = seg.text.ptr[k++];
            }
        }
        pab_rc rc = r->host->replace_segment_text(c, i, (pab_view){buf, o});
        free(buf);
        if (rc != PAB_OK) {
            char msg[64];
            snprintf(msg, sizeof msg, "replace_segment_text failed with rc %u", rc);
            r->host->set_error(c, text(msg));
            return PAB_VERDICT_ERROR;
        }
        changed = 1;
    }
    return changed ? PAB_VERDICT_MUTATE : PAB_VERDICT_ALLOW;
}

/* The comma-joined full keys of every tag present now (at most 4 KiB, the tag value limit). */
static void seen_keys(const recorder *r, pab_call *c, char *out, size_t cap) {
    size_t o = 0;
    out[0] = '\0';
    uint32_t n = r->host->tag_count(c);
    for (uint32_t i = 0; i < n; i++) {
        pab_view k, v;
        if (r->host->tag_at(c, i, &k, &v) != PAB_OK) continue;
        if (o + (o ? 1 : 0) + k.len + 1 > cap) break;
        if (o) out[o++] = ',';
        memcpy(out + o, k.ptr, k.len);
        o += k.len;
        out[o] = '\0';
    }
}

static pab_verdict on_request(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_request *req) {
    (void)req;
    const recorder *r = (const recorder *)inst;
    char *seen = malloc(4097); /* on the heap: worker threads may have small stacks */
    if (!seen) {
        r->host->set_error(c, text("out of memory"));
        return PAB_VERDICT_ERROR;
    }
    seen_keys(r, c, seen, 4097);
    if (hook_start(r, ex, c, "seen_request") != 0) {
        free(seen);
        return PAB_VERDICT_ERROR;
    }
    pab_rc rc = r->host->set_tag(c, text("seen"), text(seen));
    free(seen);
    pab_view id;
    if (rc == PAB_OK && r->host->get_attribute(c, PAB_ATTR_REQUEST_ID, &id) == PAB_OK)
        rc = r->host->set_tag(c, text("request_id"), id);
    if (rc != PAB_OK) {
        r->host->set_error(c, text("set_tag failed"));
        return PAB_VERDICT_ERROR;
    }
    if (r->deny_if && any_segment_contains(r, c, r->deny_if)) return deny(r, c, "input_blocked");
    return replace_all(r, c);
}

static pab_verdict on_response(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_response *resp) {
    (void)resp;
    const recorder *r = (const recorder *)inst;
    if (hook_start(r, ex, c, "seen_response") != 0) return PAB_VERDICT_ERROR;
    if (r->deny_response_if && any_segment_contains(r, c, r->deny_response_if)) return deny(r, c, "output_blocked");
    return replace_all(r, c);
}

static pab_verdict on_stream_chunk(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_stream_chunk *k) {
    (void)k;
    const recorder *r = (const recorder *)inst;
    if (hook_start(r, ex, c, "seen_stream_chunk") != 0) return PAB_VERDICT_ERROR;
    exchange_state *s = (exchange_state *)ex;
    char count[24];
    snprintf(count, sizeof count, "%llu", (unsigned long long)++s->chunks);
    if (r->host->set_tag(c, text("chunks"), text(count)) != PAB_OK) {
        r->host->set_error(c, text("set_tag failed"));
        return PAB_VERDICT_ERROR;
    }
    if (r->deny_stream_if && any_segment_contains(r, c, r->deny_stream_if)) return deny(r, c, "output_blocked");
    return replace_all(r, c);
}

static pab_verdict on_stream_end(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_stream_end *e) {
    const recorder *r = (const recorder *)inst;
    if (hook_start(r, ex, c, "seen_stream_end") != 0) return PAB_VERDICT_ERROR;
    char unknown[32];
    const char *reason = reason_name(e->reason, unknown, sizeof unknown);
    if (r->host->set_tag(c, text("stream_end_reason"), text(reason)) != PAB_OK) {
        r->host->set_error(c, text("set_tag failed"));
        return PAB_VERDICT_ERROR;
    }
    return PAB_VERDICT_ALLOW;
}

static const pab_plugin descriptor = {
    .struct_size = sizeof(pab_plugin),
    .abi_major = PAB_ABI_MAJOR,
    .abi_minor = PAB_ABI_MINOR,
    .name = "recorder",
    .version = "1.0.0",
    .description = "Test fixture: records hooks, tags and exchange pairing; configurable deny and replace.",
    .capabilities = PAB_CAP_MUTATES_REQUEST | PAB_CAP_MUTATES_RESPONSE,
    .create = create,
    .destroy = destroy,
    .exchange_begin = exchange_begin,
    .exchange_end = exchange_end,
    .on_request = on_request,
    .on_response = on_response,
    .on_stream_chunk = on_stream_chunk,
    .on_stream_end = on_stream_end,
};

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *host) {
    (void)host;
    return &descriptor;
}
