/*
 * keyword_blocklist.c: the example PolicyABI v1 plugin in C. Copy this file to start your own policy.
 *
 * What it does: it blocks requests whose text contains one of a configured list of keywords and, if
 * asked, answers whose generated text contains one (streamed or not). "Text" is every segment the host
 * shows: message and input text, and (PolicyABI v1.1, PAB_CAP_EXTENDED_SEGMENTS) tool-call arguments, tool
 * descriptions and refusals, which reach a model or a client just as much. It shows every part of the ABI
 * that a real policy needs: the entry function and the static descriptor, reading and validating the
 * config in create, an immutable instance shared by all threads, per-exchange state for streams, text
 * segments instead of JSON parsing, deny(), tags, counters, logging, and holding back streamed text with
 * insert_delta so that a keyword split across two stream events is caught before any of it is sent.
 *
 * Build (needs only policy_abi.h and the plugins' shared JSON reader Plugins/common/pab_json.h):
 *   cc -std=c11 -Wall -Wextra -O2 -shared -fPIC -fvisibility=hidden -I path/to/Sources/PolicyABI/include \
 *      -I path/to/Plugins/common -o keyword-blocklist.so keyword_blocklist.c
 * See README.md next to this file for installing and configuring it.
 *
 * Config (policy.<name> in policy-config.yaml; the host hands it to create as canonical JSON):
 *   keywords        list of strings, required, none empty. Matched as plain substrings (no word
 *                   boundaries, no patterns).
 *   message         string shown to the client on a block (default below).
 *   case_sensitive  bool, default false. Case folding is ASCII only: "É" does not match "é".
 *   scan_roles      list of roles whose request text is scanned, default ["user"]. Known roles:
 *                   system, developer, user, assistant, tool. Text whose role the host does not know
 *                   (empty role) is scanned as if it were "user": better block too much than let user
 *                   text through unscanned.
 *   scan_output     bool, default false: also scan generated text (non-streamed answers and streams).
 *   status          HTTP status of the block, 400..599 (default: the host's, 409).
 *
 * What the client gets: the host answers a DENY with `status` and an OpenAI-style error whose code is
 * "input_blocked" (request) or "output_blocked" (answer). When a stream is already under way the host
 * ends it with an SSE error event instead.
 *
 * THREADS (rule 2 of policy_abi.h): the host calls the hooks of one instance from many threads at once,
 * one exchange per thread. This plugin never writes to its instance after create, so it needs no locks;
 * everything that changes during an exchange lives in the per-exchange state, whose hooks the host
 * serialises. counter_add is thread-safe on the host side.
 *
 * MEMORY (rule 1): every pab_view the host passes in dies when the hook returns; everything we pass to
 * the host is copied by it. So: copy what you keep, free what you allocate, and never hand the host a
 * pointer it should free.
 */
#include "pab_json.h" /* the plugins' shared strict JSON reader (Plugins/common); or your favourite library */
#include "policy_abi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GROWTH (rule 4): the segment kinds added in v1.1 are only shown to a plugin that sets the capability
 * PAB_CAP_EXTENDED_SEGMENTS. Built against a v1.0 header, this file sets no such bit (and declares ABI
 * 1.0), so a v1.0 host loads it; the kind constants are defined here only so that the code compiles. */
#ifdef PAB_CAP_EXTENDED_SEGMENTS
#define CAP_EXTENDED_SEGMENTS PAB_CAP_EXTENDED_SEGMENTS
#else
#define CAP_EXTENDED_SEGMENTS 0u
#define PAB_SEGMENT_TOOL_ARGUMENTS 5u
#define PAB_SEGMENT_REFUSAL 6u
#define PAB_SEGMENT_TOOL_DESCRIPTION 7u
#endif

/* ---------------------------------------------------------------------------------------------------
 * The instance: everything create() learnt from the config. Read-only after create.
 * ------------------------------------------------------------------------------------------------- */

#define DEFAULT_MESSAGE "This request was blocked by the keyword-blocklist policy."
#define KNOWN_ROLES "system, developer, user, assistant, tool"

typedef struct keyword {
    uint8_t *bytes; /* lower-cased (ASCII) unless case_sensitive */
    size_t len;
} keyword;

typedef struct blocklist {
    const pab_host_api *host; /* the host's function table: valid for the whole process */
    pab_host_instance *hi;    /* identifies this instance to log/counters: valid until destroy returns */
    keyword *keywords;
    size_t keyword_count;
    size_t longest; /* length in bytes of the longest keyword: how much stream text to hold back */
    char **roles;   /* scan_roles */
    size_t role_count;
    char *message;
    uint32_t status; /* 0: the host's default status */
    int case_sensitive;
    int scan_output;
    uint32_t blocked_requests;  /* counter ids from counter_define */
    uint32_t blocked_responses;
} blocklist;

static pab_view view_of(const char *s) { return (pab_view){(const uint8_t *)s, strlen(s)}; }

static void blocklist_free(blocklist *b) {
    if (!b) return;
    for (size_t i = 0; i < b->keyword_count; i++) free(b->keywords[i].bytes);
    free(b->keywords);
    for (size_t i = 0; i < b->role_count; i++) free(b->roles[i]);
    free(b->roles);
    free(b->message);
    free(b);
}

static uint8_t ascii_lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c; }

/* Index of the first keyword found in text[0..len), or -1. A plain scan, fine for tens of keywords; for
 * thousands, build an Aho-Corasick automaton in create instead (the instance is read-only afterwards,
 * so it can be shared by all threads without locks). */
static long find_keyword(const blocklist *b, const uint8_t *text, size_t len) {
    for (size_t start = 0; start < len; start++) {
        for (size_t k = 0; k < b->keyword_count; k++) {
            const keyword *kw = &b->keywords[k];
            if (kw->len > len - start) continue;
            size_t j = 0;
            if (b->case_sensitive) {
                while (j < kw->len && text[start + j] == kw->bytes[j]) j++;
            } else {
                while (j < kw->len && ascii_lower(text[start + j]) == kw->bytes[j]) j++;
            }
            if (j == kw->len) return (long)k;
        }
    }
    return -1;
}

/* ---------------------------------------------------------------------------------------------------
 * create / destroy: on the host's control thread, never concurrently with anything else of ours.
 * ------------------------------------------------------------------------------------------------- */

/* create fails with a message that names the config key and says what is wrong: the gateway prints it
 * with the policy name and refuses to start. */
static pab_rc fail(blocklist *b, char *err, size_t err_cap, const char *message) {
    snprintf(err, err_cap, "%s", message);
    blocklist_free(b);
    return PAB_ERR_FAILED;
}

/* A malloc'd, NUL-terminated copy of a parsed string (which may hold NUL bytes: copy str_len + 1). */
static char *copy_string(const pab_json *v) {
    char *copy = malloc(v->str_len + 1);
    if (copy) memcpy(copy, v->str, v->str_len + 1);
    return copy;
}

/* Reads and checks every key of the config object into b. Returns PAB_OK, or fails (and frees b). */
static pab_rc read_config(blocklist *b, const pab_json *root, char *err, size_t err_cap) {
    char detail[256]; /* room for every message below: gcc checks snprintf sizes with -Wall */
    int rc;

    /* Refuse keys we do not know: a typo ("keyword:") must not silently disable the policy. */
    static const char *const known_keys[] = {"case_sensitive", "keywords", "message", "scan_output", "scan_roles",
                                             "status"};
    const char *unknown = pab_json_unknown_key(root, known_keys, sizeof known_keys / sizeof known_keys[0]);
    if (unknown) {
        snprintf(detail, sizeof detail,
                 "unknown config key '%.63s'; known keys: case_sensitive, keywords, message, scan_output, scan_roles, "
                 "status",
                 unknown);
        return fail(b, err, err_cap, detail);
    }

    b->case_sensitive = 0;
    rc = pab_json_get_bool(root, "case_sensitive", &b->case_sensitive);
    if (rc != PAB_JSON_OK && rc != PAB_JSON_MISSING) return fail(b, err, err_cap, "case_sensitive must be true or false");

    const pab_json *list = NULL;
    rc = pab_json_get_strings(root, "keywords", &list);
    if (rc != PAB_JSON_OK || list->count == 0)
        return fail(b, err, err_cap, "keywords must be a non-empty list of strings");
    b->keywords = calloc(list->count, sizeof *b->keywords);
    if (!b->keywords) return fail(b, err, err_cap, "out of memory");
    for (size_t i = 0; i < list->count; i++) {
        size_t len = list->items[i].str_len;
        if (len == 0) {
            snprintf(detail, sizeof detail, "keywords[%zu] is empty; every keyword needs at least one character", i);
            return fail(b, err, err_cap, detail);
        }
        /* Copy out of the tree (freed after create); fold once here, not on every request. */
        b->keywords[i].bytes = (uint8_t *)copy_string(&list->items[i]);
        if (!b->keywords[i].bytes) return fail(b, err, err_cap, "out of memory");
        b->keywords[i].len = len;
        b->keyword_count = i + 1;
        if (!b->case_sensitive)
            for (size_t j = 0; j < len; j++) b->keywords[i].bytes[j] = ascii_lower(b->keywords[i].bytes[j]);
        if (len > b->longest) b->longest = len;
    }

    const pab_json *message = pab_json_get(root, "message");
    if (!message || message->type == PAB_JSON_NULL) {
        b->message = malloc(sizeof DEFAULT_MESSAGE);
        if (b->message) memcpy(b->message, DEFAULT_MESSAGE, sizeof DEFAULT_MESSAGE);
    } else if (message->type != PAB_JSON_STRING) {
        return fail(b, err, err_cap, "message must be a string");
    } else {
        b->message = copy_string(message);
    }
    if (!b->message) return fail(b, err, err_cap, "out of memory");
    if (b->message[0] == '\0') return fail(b, err, err_cap, "message must not be empty");

    rc = pab_json_get_strings(root, "scan_roles", &list);
    if (rc == PAB_JSON_MISSING) {
        b->roles = calloc(1, sizeof *b->roles);
        if (b->roles) b->roles[0] = malloc(sizeof "user");
        if (!b->roles || !b->roles[0]) return fail(b, err, err_cap, "out of memory");
        memcpy(b->roles[0], "user", sizeof "user");
        b->role_count = 1;
    } else if (rc != PAB_JSON_OK || list->count == 0) {
        return fail(b, err, err_cap, "scan_roles must be a non-empty list of roles (" KNOWN_ROLES ")");
    } else {
        b->roles = calloc(list->count, sizeof *b->roles);
        if (!b->roles) return fail(b, err, err_cap, "out of memory");
        for (; b->role_count < list->count; b->role_count++)
            if (!(b->roles[b->role_count] = copy_string(&list->items[b->role_count])))
                return fail(b, err, err_cap, "out of memory");
    }
    for (size_t i = 0; i < b->role_count; i++) {
        static const char *const known_roles[] = {"system", "developer", "user", "assistant", "tool"};
        int known = 0;
        for (size_t k = 0; k < 5 && !known; k++) known = strcmp(b->roles[i], known_roles[k]) == 0;
        if (!known) {
            snprintf(detail, sizeof detail, "scan_roles[%zu] is '%.40s'; known roles: " KNOWN_ROLES, i, b->roles[i]);
            return fail(b, err, err_cap, detail);
        }
    }

    b->scan_output = 0;
    rc = pab_json_get_bool(root, "scan_output", &b->scan_output);
    if (rc != PAB_JSON_OK && rc != PAB_JSON_MISSING) return fail(b, err, err_cap, "scan_output must be true or false");

    int64_t status = 0;
    rc = pab_json_get_int(root, "status", 400, 599, &status);
    if (rc != PAB_JSON_OK && rc != PAB_JSON_MISSING) return fail(b, err, err_cap, "status must be an integer between 400 and 599");
    b->status = (uint32_t)status;

    return PAB_OK;
}

static pab_rc create(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap) {
    blocklist *b = calloc(1, sizeof *b);
    if (!b) return fail(NULL, err, err_cap, "out of memory");
    b->host = args->host;
    b->hi = args->host_instance;

    /* config_json is canonical JSON: an object with sorted keys and no whitespace. The parsed tree owns
     * every string it hands out; read_config copies what the instance keeps, then the tree goes. */
    pab_json root;
    pab_json_error jerr;
    if (pab_json_parse((const char *)args->config_json.ptr, args->config_json.len, PAB_JSON_ALLOW_NUL, &root,
                       &jerr) != 0 ||
        root.type != PAB_JSON_OBJECT) {
        pab_json_free(&root);
        return fail(b, err, err_cap, strcmp(jerr.message, "out of memory") == 0 ? "out of memory"
                                                                                   : "the config is not a JSON object");
    }
    pab_rc rc = read_config(b, &root, err, err_cap); /* frees b on failure */
    pab_json_free(&root);
    if (rc != PAB_OK) return rc;

    /* Counters may only be defined here, in create. The host exports them as
     * gatewayhost_policy_counter_total{policy="<name>",name="blocked_requests"}. */
    if (b->host->counter_define(b->hi, view_of("blocked_requests"), &b->blocked_requests) != PAB_OK ||
        b->host->counter_define(b->hi, view_of("blocked_responses"), &b->blocked_responses) != PAB_OK)
        return fail(b, err, err_cap, "could not define the counters");

    /* Log counts and settings, never the keywords themselves: they may be sensitive. */
    char line[200];
    snprintf(line, sizeof line, "keyword-blocklist: %zu keywords, %s, %zu scanned role(s), output scan %s",
             b->keyword_count, b->case_sensitive ? "case-sensitive" : "case-insensitive", b->role_count,
             b->scan_output ? "on" : "off");
    b->host->log(b->hi, PAB_LOG_INFO, view_of(line));

    *out = (pab_instance *)b;
    return PAB_OK;
}

/* Called once, after every hook on the instance has returned. */
static void destroy(pab_instance *inst) { blocklist_free((blocklist *)inst); }

/* ---------------------------------------------------------------------------------------------------
 * Blocking
 * ------------------------------------------------------------------------------------------------- */

/* Records the answer for a DENY verdict, tags and counts it. `code` is what the client sees. */
static pab_verdict block(const blocklist *b, pab_call *c, const char *code, uint32_t counter, long keyword_index) {
    /* Tags go to the next policies and to the audit log. Keep them free of user content: the keyword's
     * number, not the matched text. */
    char number[24];
    snprintf(number, sizeof number, "%ld", keyword_index);
    (void)b->host->set_tag(c, view_of("matched_keyword"), view_of(number)); /* a failed tag must not stop a block */

    if (b->host->deny(c, b->status, view_of(code), view_of(b->message)) != PAB_OK) {
        b->host->set_error(c, view_of("deny() refused the answer"));
        return PAB_VERDICT_ERROR; /* on_error decides; fail_closed still blocks */
    }
    b->host->counter_add(b->hi, counter, 1);
    if (b->host->log_enabled(PAB_LOG_DEBUG)) { /* skip the formatting when nobody reads it */
        char line[96];
        snprintf(line, sizeof line, "keyword-blocklist: %s (keyword #%ld)", code, keyword_index);
        b->host->log(b->hi, PAB_LOG_DEBUG, view_of(line));
    }
    return PAB_VERDICT_DENY;
}

static int role_is_scanned(const blocklist *b, pab_view role) {
    if (role.len == 0) role = view_of("user"); /* unknown role: treat as user text (see the config notes) */
    for (size_t i = 0; i < b->role_count; i++)
        if (strlen(b->roles[i]) == role.len && memcmp(b->roles[i], role.ptr, role.len) == 0) return 1;
    return 0;
}

/* ---------------------------------------------------------------------------------------------------
 * on_request / on_response: whole texts, one segment at a time. The host extracts the text segments
 * from the JSON (chat messages, Responses input/instructions, answer texts), already unescaped.
 * With PAB_CAP_EXTENDED_SEGMENTS a request also has TOOL_ARGUMENTS segments (each value of a tool call
 * the assistant made, role "assistant") and TOOL_DESCRIPTION segments (the tools' descriptions, role
 * "system"); an answer has TOOL_ARGUMENTS and REFUSAL segments. Nothing here switches on the kind: a
 * request text is scanned when its role is in scan_roles, an answer text whenever scan_output is on.
 * ------------------------------------------------------------------------------------------------- */

static pab_verdict on_request(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_request *r) {
    (void)ex, (void)r;
    const blocklist *b = (const blocklist *)inst;
    uint32_t count = b->host->segment_count(c);
    for (uint32_t i = 0; i < count; i++) {
        pab_segment seg = {.struct_size = sizeof seg}; /* tells the host which pab_segment we know */
        if (b->host->get_segment(c, i, &seg) != PAB_OK || !role_is_scanned(b, seg.role)) continue;
        long hit = find_keyword(b, seg.text.ptr, seg.text.len);
        if (hit >= 0) return block(b, c, "input_blocked", b->blocked_requests, hit);
    }
    return PAB_VERDICT_ALLOW;
}

static pab_verdict on_response(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_response *r) {
    (void)ex, (void)r;
    const blocklist *b = (const blocklist *)inst;
    if (!b->scan_output) return PAB_VERDICT_ALLOW;
    uint32_t count = b->host->segment_count(c);
    for (uint32_t i = 0; i < count; i++) {
        pab_segment seg = {.struct_size = sizeof seg};
        if (b->host->get_segment(c, i, &seg) != PAB_OK) continue;
        long hit = find_keyword(b, seg.text.ptr, seg.text.len);
        if (hit >= 0) return block(b, c, "output_blocked", b->blocked_responses, hit);
    }
    return PAB_VERDICT_ALLOW;
}

/* ---------------------------------------------------------------------------------------------------
 * Streams. Each SSE event carries a small delta ("forb", "idden"), so a keyword can straddle two events.
 * We therefore hold back the last longest-1 bytes of each choice's text: every delta is rewritten to
 * (held text + new text) minus a new tail that stays held. A keyword can then never reach the client in
 * part. Held text is released on the stream's final events with insert_delta, which the host turns into
 * an ordinary delta event placed before the current one. If the upstream breaks off before its final
 * event, the held tail (at most longest-1 bytes, plus up to 3 to end on a whole UTF-8 character) is not
 * delivered: the client sees a failed stream anyway. Refusal deltas and tool-call argument fragments are
 * scanned too, without a hold-back (scan_unheld below).
 * ------------------------------------------------------------------------------------------------- */

typedef struct held_text {
    pab_segment_kind kind; /* DELTA: text held back, not sent yet. REFUSAL / TOOL_ARGUMENTS: see below */
    uint32_t item, part;   /* which choice (chat) or output item / content part or tool call (Responses) */
    size_t len;
    uint8_t *bytes; /* capacity: longest - 1 + 3 */
} held_text;

/* The per-exchange state. Hooks of one exchange never run concurrently, so no lock is needed. */
typedef struct stream_state {
    held_text *held;
    size_t count;
} stream_state;

#define MAX_HELD 256 /* choices/parts tracked per stream; beyond that a part is scanned without hold-back */

static pab_rc exchange_begin(pab_instance *inst, pab_call *c, pab_exchange **out) {
    (void)c;
    const blocklist *b = (const blocklist *)inst;
    if (!b->scan_output) {
        *out = NULL; /* nothing to keep; exchange_end still runs and frees nothing */
        return PAB_OK;
    }
    stream_state *s = calloc(1, sizeof *s);
    if (!s) return PAB_ERR_FAILED; /* a plugin error: on_error applies */
    *out = (pab_exchange *)s;
    return PAB_OK;
}

static void exchange_end(pab_instance *inst, pab_exchange *ex, pab_call *c, pab_end_reason reason) {
    (void)inst, (void)c, (void)reason;
    stream_state *s = (stream_state *)ex;
    if (!s) return;
    for (size_t i = 0; i < s->count; i++) free(s->held[i].bytes);
    free(s->held);
    free(s);
}

static held_text *held_for(const blocklist *b, stream_state *s, pab_segment_kind kind, uint32_t item,
                            uint32_t part) {
    for (size_t i = 0; i < s->count; i++)
        if (s->held[i].kind == kind && s->held[i].item == item && s->held[i].part == part) return &s->held[i];
    if (s->count == MAX_HELD) return NULL;
    held_text *grown = realloc(s->held, (s->count + 1) * sizeof *grown);
    if (!grown) return NULL;
    s->held = grown;
    held_text *h = &s->held[s->count];
    h->bytes = malloc(b->longest + 3);
    if (!h->bytes) return NULL;
    h->kind = kind;
    h->item = item;
    h->part = part;
    h->len = 0;
    s->count++;
    return h;
}

/* Refusal deltas and tool-call argument fragments cannot be held back: insert_delta can only release
 * held text as message content. So they go out as they come, and `h` keeps the last longest-1 bytes
 * already sent, only to catch a keyword split across two events when its end arrives. The block then
 * ends the stream: the client has seen at most the keyword's beginning and never gets the whole tool
 * call. Returns the keyword index, -1 for none, -2 when out of memory. */
static long scan_unheld(const blocklist *b, held_text *h, pab_view text) {
    if (!h) return find_keyword(b, text.ptr, text.len); /* too many parts: this event on its own */
    size_t window_len = h->len + text.len;
    uint8_t *window = malloc(window_len ? window_len : 1);
    if (!window) return -2;
    memcpy(window, h->bytes, h->len);
    if (text.len) memcpy(window + h->len, text.ptr, text.len);
    long hit = find_keyword(b, window, window_len);
    size_t keep = b->longest - 1;
    h->len = window_len < keep ? window_len : keep; /* never sent again, so any byte boundary will do */
    memcpy(h->bytes, window + window_len - h->len, h->len);
    free(window);
    return hit;
}

static int view_is(pab_view v, const char *s) { return v.len == strlen(s) && memcmp(v.ptr, s, v.len) == 0; }

static int view_contains(pab_view v, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; n <= v.len && i <= v.len - n; i++)
        if (memcmp(v.ptr + i, needle, n) == 0) return 1;
    return 0;
}

/* True for an event after which no more text comes, so held text must go out now: chat's "[DONE]" and
 * any chunk that carries a finish_reason string; Responses' output_text.done and its terminal events.
 * The finish_reason test looks at the raw JSON and releases the held text of EVERY choice: with n > 1
 * choices, a keyword split exactly where another choice finished could slip through. Releasing early
 * never loses text; it only skips the hold-back for that one boundary. */
static int is_final_event(const pab_stream_chunk *k) {
    static const char *const responses_final[] = {"response.output_text.done", "response.completed",
                                                  "response.incomplete", "response.failed"};
    if (view_is(k->data, "[DONE]")) return 1;
    if (view_contains(k->data, "\"finish_reason\":\"") || view_contains(k->data, "\"finish_reason\": \"")) return 1;
    for (size_t i = 0; i < sizeof responses_final / sizeof responses_final[0]; i++) {
        char typed[64];
        snprintf(typed, sizeof typed, "\"type\":\"%s\"", responses_final[i]);
        if (view_is(k->event, responses_final[i]) || view_contains(k->data, typed)) return 1;
    }
    return 0;
}

static pab_verdict on_stream_chunk(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_stream_chunk *k) {
    const blocklist *b = (const blocklist *)inst;
    stream_state *s = (stream_state *)ex;
    if (!b->scan_output || !s) return PAB_VERDICT_ALLOW;

    const int final = is_final_event(k);
    const size_t keep = b->longest - 1; /* a shorter tail cannot hide the start of any keyword */
    int changed = 0;
    /* Marks which held entries this event already flushed (0/1 per entry). */
    uint8_t touched[MAX_HELD] = {0};

    uint32_t count = b->host->segment_count(c);
    for (uint32_t i = 0; i < count; i++) {
        pab_segment seg = {.struct_size = sizeof seg};
        if (b->host->get_segment(c, i, &seg) != PAB_OK) continue;
        if (seg.kind == PAB_SEGMENT_REFUSAL || seg.kind == PAB_SEGMENT_TOOL_ARGUMENTS) {
            long hit = scan_unheld(b, held_for(b, s, seg.kind, seg.item_index, seg.part_index), seg.text);
            if (hit == -2) {
                b->host->set_error(c, view_of("out of memory"));
                return PAB_VERDICT_ERROR;
            }
            if (hit >= 0) return block(b, c, "output_blocked", b->blocked_responses, hit);
            continue;
        }
        if (seg.kind != PAB_SEGMENT_DELTA) continue;
        held_text *h = held_for(b, s, seg.kind, seg.item_index, seg.part_index);
        if (!h) { /* out of memory or too many parts: scan this delta on its own */
            long hit = find_keyword(b, seg.text.ptr, seg.text.len);
            if (hit >= 0) return block(b, c, "output_blocked", b->blocked_responses, hit);
            continue;
        }
        touched[h - s->held] = 1;

        /* window = what we held from earlier events + this event's text */
        size_t window_len = h->len + seg.text.len;
        uint8_t *window = malloc(window_len ? window_len : 1);
        if (!window) {
            b->host->set_error(c, view_of("out of memory"));
            return PAB_VERDICT_ERROR;
        }
        memcpy(window, h->bytes, h->len);
        if (seg.text.len) memcpy(window + h->len, seg.text.ptr, seg.text.len);

        long hit = find_keyword(b, window, window_len);
        if (hit >= 0) {
            free(window);
            return block(b, c, "output_blocked", b->blocked_responses, hit);
        }

        /* Send window[0..cut), hold window[cut..). Cut on a UTF-8 character boundary: the host accepts
         * only valid UTF-8, and a continuation byte (10xxxxxx) never starts a character. */
        size_t cut;
        if (final) cut = window_len;           /* nothing more comes: send everything */
        else if (window_len <= keep) cut = 0;  /* hold it all */
        else cut = window_len - keep;
        while (cut > 0 && cut < window_len && (window[cut] & 0xC0) == 0x80) cut--;

        /* Only rewrite the event when its text actually changes: MUTATE without a change is an error. */
        int same = h->len == 0 && cut == window_len;
        if (!same) {
            if (b->host->replace_segment_text(c, i, (pab_view){window, cut}) != PAB_OK) {
                free(window);
                b->host->set_error(c, view_of("replace_segment_text failed"));
                return PAB_VERDICT_ERROR;
            }
            changed = 1;
        }
        h->len = window_len - cut;
        memcpy(h->bytes, window + cut, h->len);
        free(window);
    }

    if (final) {
        /* Release what other choices/parts still hold, as a delta event before this one. */
        for (size_t i = 0; i < s->count; i++) {
            held_text *h = &s->held[i];
            if (touched[i] || h->len == 0 || h->kind != PAB_SEGMENT_DELTA) continue;
            if (b->host->insert_delta(c, h->item, h->part, (pab_view){h->bytes, h->len}) != PAB_OK) {
                b->host->set_error(c, view_of("insert_delta failed"));
                return PAB_VERDICT_ERROR;
            }
            h->len = 0;
        }
    }
    /* insert_delta takes effect with ALLOW too; MUTATE is only for replace_segment_text. */
    return changed ? PAB_VERDICT_MUTATE : PAB_VERDICT_ALLOW;
}

/* ---------------------------------------------------------------------------------------------------
 * The descriptor and the entry function
 * ------------------------------------------------------------------------------------------------- */

/* Shown by `gatewayhost plugins list`. */
static const char config_schema[] =
    "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"keywords\"],\"properties\":{"
    "\"keywords\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"type\":\"string\",\"minLength\":1}},"
    "\"message\":{\"type\":\"string\",\"minLength\":1},"
    "\"case_sensitive\":{\"type\":\"boolean\",\"default\":false},"
    "\"scan_roles\":{\"type\":\"array\",\"minItems\":1,\"default\":[\"user\"],\"items\":{\"enum\":"
    "[\"system\",\"developer\",\"user\",\"assistant\",\"tool\"]}},"
    "\"scan_output\":{\"type\":\"boolean\",\"default\":false},"
    "\"status\":{\"type\":\"integer\",\"minimum\":400,\"maximum\":599}}}";

/* Static storage: the descriptor and its strings must live as long as the process (rule 1). */
static const pab_plugin descriptor = {
    .struct_size = sizeof(pab_plugin), /* lets a newer host know which members we have */
    .abi_major = PAB_ABI_MAJOR,
    .abi_minor = PAB_ABI_MINOR,
    .name = "keyword-blocklist", /* must equal the chain entry's name unless policy.<name>.plugin.file is set */
    .version = "1.1.0",
    .description = "Blocks requests (and optionally answers) that contain configured keywords.",
    /* MUTATES_RESPONSE: the stream hold-back rewrites deltas and inserts held text. EXTENDED_SEGMENTS:
     * show us tool-call arguments, tool descriptions and refusals too (0 with a v1.0 header). Never claim
     * more than you use: the capabilities are shown to operators. */
    .capabilities = PAB_CAP_MUTATES_RESPONSE | CAP_EXTENDED_SEGMENTS,
    .config_schema_json = config_schema,
    .create = create,
    .destroy = destroy,
    .exchange_begin = exchange_begin,
    .exchange_end = exchange_end,
    .on_request = on_request,
    .on_response = on_response,
    .on_stream_chunk = on_stream_chunk,
    /* on_stream_end is left NULL: nothing to do there. NULL hooks cost nothing. */
};

/* The only exported symbol (PAB_EXPORT; build with -fvisibility=hidden so nothing else leaks). Called
 * once per process on the control thread. A plugin that cannot work here (say, a missing CPU feature)
 * logs why and returns NULL. */
PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *host) {
    (void)host; /* create() receives the host table again; nothing to set up process-wide */
    return &descriptor;
}
