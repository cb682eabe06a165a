/*
 * pii_plugin_stream.c: on_stream_chunk of the pii-detector (the rest of the glue is in pii_plugin.c).
 *   DELTA            through a per-(item, part) hold-back stream (pii_stream.h); held text is released at a
 *                    choice's finish_reason chunk, at response.output_text.done and at the terminal event
 *                    (insert_delta, or in the same event's delta when it carries one);
 *   OUTPUT           the Responses summary events (output_text.done's text, response.completed) in full;
 *   REFUSAL          (v1.1) each refusal delta or summary on its own;
 *   TOOL_ARGUMENTS   (v1.1) streamed argument fragments redacted inside their JSON strings (pii_fragment.h),
 *                    parsed values of the summary events in full.
 * A value cut across two refusal deltas or argument fragments is not recognised (README, Known limits).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pii_buf.h"
#include "pii_glue.h"
#include "pab_json.h"
#include "pii_json.h"
#include "pii_redact.h"

static int is_terminal_type(const char *s, size_t n) {
    static const char *const names[] = {"response.output_text.done", "response.completed", "response.incomplete",
                                        "response.failed", NULL};
    for (int k = 0; names[k] != NULL; k++) {
        if (strlen(names[k]) == n && memcmp(names[k], s, n) == 0) return 1;
    }
    return 0;
}

/* The host marks the stream's last event (is_final: "[DONE]", response.completed / failed / incomplete,
 * error). response.output_text.done also ends a Responses text part, so held text goes out before the
 * event that repeats the full text. Older hosts without is_final: recognise the events by name. */
static int is_terminal(const pab_stream_chunk *k) {
    if (PAB_HAS(k, pab_stream_chunk, is_final) && k->is_final) return 1;
    const char *d = (const char *)k->data.ptr;
    size_t n = k->data.len;
    while (n > 0 && (*d == ' ' || *d == '\n' || *d == '\r' || *d == '\t')) {
        d++;
        n--;
    }
    while (n > 0 && (d[n - 1] == ' ' || d[n - 1] == '\n' || d[n - 1] == '\r' || d[n - 1] == '\t')) n--;
    if (n == 6 && memcmp(d, "[DONE]", 6) == 0) return 1;
    if (k->event.len > 0) return is_terminal_type((const char *)k->event.ptr, k->event.len);
    const char *type;
    size_t tlen;
    if (n > 0 && pii_json_top_level_string(d, n, "type", &type, &tlen)) return is_terminal_type(type, tlen);
    return 0;
}

#define MAX_FINISHED 16

/* Chat choices this event finishes (choices[i].finish_reason is a string): their held text is released
 * before the finish_reason chunk, not after it, so that clients that stop reading a choice there see it.
 * Returns how many indexes were written to out. */
static size_t finished_choices(const pab_stream_chunk *k, uint32_t *out, size_t cap) {
    const char *d = (const char *)k->data.ptr;
    size_t n = k->data.len, found = 0;
    static const char key[] = "\"finish_reason\"";
    int mentioned = 0;
    for (size_t q = 0; q + sizeof key - 1 <= n && !mentioned; q++) mentioned = memcmp(d + q, key, sizeof key - 1) == 0;
    if (!mentioned) return 0;
    pab_json root;
    pab_json_error err;
    if (pab_json_parse(d, n, PAB_JSON_ALLOW_NUL, &root, &err) != 0) return 0;
    const pab_json *choices = pab_json_get(&root, "choices");
    if (choices != NULL && choices->type == PAB_JSON_ARRAY) {
        for (size_t q = 0; q < choices->count && found < cap; q++) {
            const pab_json *fr = pab_json_get(&choices->items[q], "finish_reason");
            const pab_json *idx = pab_json_get(&choices->items[q], "index");
            if (fr == NULL || fr->type != PAB_JSON_STRING) continue;
            uint32_t item = (uint32_t)q;
            if (idx != NULL && idx->type == PAB_JSON_NUMBER && idx->is_integer && idx->number >= 0 &&
                idx->number < 4294967296.0) {
                item = (uint32_t)idx->number;
            }
            out[found++] = item;
        }
    }
    pab_json_free(&root);
    return found;
}

static int contains_item(const uint32_t *v, size_t n, uint32_t item) {
    for (size_t k = 0; k < n; k++) {
        if (v[k] == item) return 1;
    }
    return 0;
}

static pii_stream *stream_for(pab_exchange *ex, uint32_t item, uint32_t part) {
    for (size_t k = 0; k < ex->nstreams; k++) {
        if (ex->streams[k].item == item && ex->streams[k].part == part) return &ex->streams[k];
    }
    if (ex->nstreams == ex->cap) {
        size_t cap = ex->cap ? ex->cap * 2 : 4;
        pii_stream *v = realloc(ex->streams, cap * sizeof *v);
        if (v == NULL) return NULL;
        ex->streams = v;
        ex->cap = cap;
    }
    pii_stream *s = &ex->streams[ex->nstreams++];
    memset(s, 0, sizeof *s);
    s->item = item;
    s->part = part;
    return s;
}

static pii_fragment_state *fragment_state_for(pab_exchange *ex, uint32_t item, uint32_t part) {
    for (size_t k = 0; k < ex->nfrags; k++) {
        if (ex->frags[k].item == item && ex->frags[k].part == part) return &ex->frags[k];
    }
    if (ex->nfrags == ex->frags_cap) {
        size_t cap = ex->frags_cap ? ex->frags_cap * 2 : 4;
        pii_fragment_state *v = realloc(ex->frags, cap * sizeof *v);
        if (v == NULL) return NULL;
        ex->frags = v;
        ex->frags_cap = cap;
    }
    pii_fragment_state *s = &ex->frags[ex->nfrags++];
    memset(s, 0, sizeof *s);
    s->item = item;
    s->part = part;
    return s;
}

/* Whether this event's TOOL_ARGUMENTS segments are raw JSON fragments: those of chat chunks
 * (delta.tool_calls[j]) and of a Responses response.function_call_arguments.delta. The other Responses
 * events that carry arguments (function_call items in output_item.* and response.completed) give each value
 * parsed, like a non-streamed answer (policy_abi.h, PAB_SEGMENT_TOOL_ARGUMENTS). */
static int carries_fragments(const pab_stream_chunk *k) {
    static const char delta_event[] = "response.function_call_arguments.delta";
    const char *type = (const char *)k->event.ptr;
    size_t tlen = k->event.len;
    if (tlen == 0) {
        const char *d = k->data.ptr != NULL ? (const char *)k->data.ptr : "";
        if (!pii_json_top_level_string(d, k->data.len, "type", &type, &tlen)) return 1; /* a chat chunk */
    }
    return tlen == sizeof delta_event - 1 && memcmp(type, delta_event, tlen) == 0;
}

/* carries_fragments, worked out once per event and only when it has arguments: most events have none. */
static int fragment_event(const pab_stream_chunk *k, int *cached) {
    if (*cached < 0) *cached = carries_fragments(k);
    return *cached;
}

/* Redacts one whole text (no hold-back) into out. */
static int redact_whole(const pab_instance *inst, const char *t, size_t len, pii_buf *out, pii_found *f) {
    pii_match *m = NULL;
    size_t n = 0;
    if (pii_glue_scan(inst, t, len, &m, &n) != 0) return -1;
    for (size_t q = 0; q < n; q++) {
        f->count[m[q].type]++;
        f->total++;
    }
    int rc = pii_redact_append(&inst->s.redaction, &inst->s.detect, t, len, m, n, out);
    free(m);
    return rc;
}

/* DELTA: per-(item, part) hold-back, released at the end of the part (insert_delta or in-band).
 * OUTPUT (the Responses summary events) and REFUSAL: each segment whole. A refusal delta cannot be held
 * back: insert_delta could only release it as message text. TOOL_ARGUMENTS: raw fragments through the
 * JSON-aware pii_fragment.h, parsed values whole. */
pab_verdict pii_on_stream_chunk(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_stream_chunk *k) {
    if (!inst->s.scan_response) return PAB_VERDICT_ALLOW;
    const pab_host_api *h = inst->host;
    if (ex == NULL) {
        h->set_error(c, pii_cstr("pii-detector: no exchange state for a stream"));
        return PAB_VERDICT_ERROR;
    }
    int terminal = is_terminal(k);
    uint32_t finished[MAX_FINISHED];
    size_t nfinished = terminal ? 0 : finished_choices(k, finished, MAX_FINISHED);
    int mutated = 0, fragments = -1; /* -1: not worked out yet */
    size_t missed = 0;
    pii_found f;
    memset(&f, 0, sizeof f);
    pii_buf out = {0};
    uint32_t count = h->segment_count(c);
    for (uint32_t i = 0; i < count; i++) {
        pab_segment seg;
        memset(&seg, 0, sizeof seg);
        seg.struct_size = (uint32_t)sizeof seg;
        if (h->get_segment(c, i, &seg) != PAB_OK) continue;
        const char *t = seg.text.ptr != NULL ? (const char *)seg.text.ptr : "";
        pii_buf_clear(&out);
        if (seg.kind == PAB_SEGMENT_DELTA) {
            pii_stream *s = stream_for(ex, seg.item_index, seg.part_index);
            if (s == NULL) goto out_of_memory;
            int last = contains_item(finished, nfinished, seg.item_index); /* content and finish_reason together */
            if (pii_stream_feed(s, &inst->s.detect, &inst->s.redaction, inst->s.hold_back_max, t, seg.text.len, last,
                                &out, &f) != 0) {
                goto out_of_memory;
            }
        } else if (seg.kind == PAB_SEGMENT_TOOL_ARGUMENTS && fragment_event(k, &fragments)) {
            pii_fragment_state *fs = fragment_state_for(ex, seg.item_index, seg.part_index);
            if (fs == NULL || pii_redact_json_fragment(&inst->s.detect, &inst->s.redaction, &fs->lex, t, seg.text.len,
                                                       &out, &f, &missed) != 0) {
                goto out_of_memory;
            }
        } else if (seg.kind == PAB_SEGMENT_OUTPUT || seg.kind == PAB_SEGMENT_REFUSAL ||
                   seg.kind == PAB_SEGMENT_TOOL_ARGUMENTS) {
            if (redact_whole(inst, t, seg.text.len, &out, &f) != 0) goto out_of_memory;
        } else {
            continue;
        }
        if (out.len == seg.text.len && (out.len == 0 || memcmp(out.data, t, out.len) == 0)) continue;
        if (pii_glue_must_block(inst, &f)) break; /* no point rewriting what is about to be refused */
        if (h->replace_segment_text(c, i, pii_view(out.data != NULL ? out.data : "", out.len)) != PAB_OK) {
            pii_buf_free(&out);
            h->set_error(c, pii_cstr("pii-detector: the host refused replace_segment_text"));
            return PAB_VERDICT_ERROR;
        }
        mutated = 1;
    }
    if ((terminal || nfinished > 0) && !pii_glue_must_block(inst, &f)) {
        /* Release what the finished streams still hold (all of them at the terminal event), as delta events
         * before this one. */
        for (size_t q = 0; q < ex->nstreams; q++) {
            pii_stream *s = &ex->streams[q];
            if (s->pending.len == 0 && !s->in_private_key) continue;
            if (!terminal && !contains_item(finished, nfinished, s->item)) continue;
            pii_buf_clear(&out);
            if (pii_stream_feed(s, &inst->s.detect, &inst->s.redaction, inst->s.hold_back_max, "", 0, 1, &out, &f) != 0) {
                goto out_of_memory;
            }
            if (pii_glue_must_block(inst, &f)) break;
            if (out.len == 0) continue;
            if (h->insert_delta(c, s->item, s->part, pii_view(out.data, out.len)) != PAB_OK) {
                pii_buf_free(&out);
                h->set_error(c, pii_cstr("pii-detector: the host refused insert_delta"));
                return PAB_VERDICT_ERROR;
            }
            pii_glue_count(inst, inst->c_released, 1);
        }
    }
    pii_buf_free(&out);
    if (missed > 0 && !pii_glue_must_block(inst, &f)) {
        char msg[128];
        snprintf(msg, sizeof msg, "%zu finding(s) in tool-call argument fragments not redactable in place", missed);
        pii_glue_log(inst, PAB_LOG_DEBUG, msg);
    }
    if (pii_glue_must_block(inst, &f)) return pii_glue_deny(inst, ex, c, &f, 0);
    if (f.total > 0) {
        pii_glue_record(inst, ex, c, &f, 0);
        pii_glue_count(inst, inst->c_redacted, 1);
    }
    return mutated ? PAB_VERDICT_MUTATE : PAB_VERDICT_ALLOW;

out_of_memory:
    pii_buf_free(&out);
    return pii_glue_oom(inst, c);
}
