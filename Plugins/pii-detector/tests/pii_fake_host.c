/*
 * pii_fake_host.c: a fake PolicyABI host for the pii-detector tests: one call at a time, segments in a
 * small table, replacements written back into it, tags, deny answers and inserted deltas recorded.
 */
#include <stdio.h>
#include <string.h>

#include "pii_test.h"

uint64_t counters[128];

static void h_log(pab_host_instance *hi, pab_log_level level, pab_view msg) { (void)hi, (void)level, (void)msg; }
static uint32_t h_log_enabled(pab_log_level level) { return level >= PAB_LOG_INFO; }
static pab_rc h_get_header(pab_call *c, pab_header_set s, pab_view n, pab_view *o) {
    (void)c, (void)s, (void)n, (void)o;
    return PAB_ERR_NOT_FOUND;
}
static pab_rc h_set_header(pab_call *c, pab_header_set s, pab_view n, pab_view v) {
    (void)c, (void)s, (void)n, (void)v;
    return PAB_OK;
}
static pab_rc h_get_attribute(pab_call *c, uint32_t id, pab_view *o) {
    (void)c, (void)id, (void)o;
    return PAB_ERR_NOT_FOUND;
}
static pab_rc h_set_tag(pab_call *c, pab_view k, pab_view v) {
    for (uint32_t i = 0; i < c->ntags; i++) {
        if (strlen(c->tags[i][0]) == k.len && memcmp(c->tags[i][0], k.ptr, k.len) == 0) {
            snprintf(c->tags[i][1], 64, "%.*s", (int)v.len, (const char *)v.ptr);
            return PAB_OK;
        }
    }
    if (c->ntags == 32) return PAB_ERR_INVALID;
    snprintf(c->tags[c->ntags][0], 64, "%.*s", (int)k.len, (const char *)k.ptr);
    snprintf(c->tags[c->ntags][1], 64, "%.*s", (int)v.len, (const char *)v.ptr);
    c->ntags++;
    return PAB_OK;
}
static pab_rc h_get_tag(pab_call *c, pab_view k, pab_view *o) {
    (void)c, (void)k, (void)o;
    return PAB_ERR_NOT_FOUND;
}
static uint32_t h_tag_count(pab_call *c) { return c->ntags; }
static pab_rc h_tag_at(pab_call *c, uint32_t i, pab_view *k, pab_view *v) {
    (void)c, (void)i, (void)k, (void)v;
    return PAB_ERR_NOT_FOUND;
}
static pab_rc h_deny(pab_call *c, uint32_t status, pab_view code, pab_view msg) {
    c->deny_status = status;
    snprintf(c->deny_code, sizeof c->deny_code, "%.*s", (int)code.len, (const char *)code.ptr);
    snprintf(c->deny_message, sizeof c->deny_message, "%.*s", (int)msg.len, (const char *)msg.ptr);
    return PAB_OK;
}
static pab_rc h_replace_body(pab_call *c, pab_view b) {
    (void)c, (void)b;
    return PAB_ERR_INVALID;
}
static void h_set_error(pab_call *c, pab_view m) { snprintf(c->error, sizeof c->error, "%.*s", (int)m.len, (const char *)m.ptr); }
static uint32_t h_segment_count(pab_call *c) { return c->nseg; }
static pab_rc h_get_segment(pab_call *c, uint32_t i, pab_segment *o) {
    if (i >= c->nseg) return PAB_ERR_NOT_FOUND;
    if (o->struct_size < sizeof *o) return PAB_ERR_INVALID;
    o->kind = c->segs[i].kind;
    o->role = (pab_view){(const uint8_t *)"user", 4};
    o->text = (pab_view){(const uint8_t *)c->segs[i].text, strlen(c->segs[i].text)};
    o->item_index = c->segs[i].item;
    o->part_index = c->segs[i].part;
    return PAB_OK;
}
static pab_rc h_replace_segment_text(pab_call *c, uint32_t i, pab_view t) {
    if (i >= c->nseg) return PAB_ERR_NOT_FOUND;
    snprintf(c->segs[i].text, sizeof c->segs[i].text, "%.*s", (int)t.len, (const char *)t.ptr);
    c->replaced++;
    return PAB_OK;
}
static pab_rc h_insert_delta(pab_call *c, uint32_t item, uint32_t part, pab_view t) {
    (void)part;
    if (c->ninserted == 4) return PAB_ERR_INVALID;
    snprintf(c->inserted[c->ninserted], 512, "%.*s", (int)t.len, (const char *)t.ptr);
    c->inserted_item[c->ninserted++] = item;
    return PAB_OK;
}
uint32_t ncounters;
static pab_rc h_counter_define(pab_host_instance *hi, pab_view name, uint32_t *id) {
    (void)hi, (void)name;
    if (ncounters == 128) return PAB_ERR_INVALID;
    *id = ncounters++;
    return PAB_OK;
}
static void h_counter_add(pab_host_instance *hi, uint32_t id, uint64_t d) {
    (void)hi;
    if (id < 128) counters[id] += d;
}
static uint64_t h_now(void) { return 0; }
static uint64_t h_deadline(pab_call *c) {
    (void)c;
    return UINT64_MAX;
}

const pab_host_api fake_host = {
    sizeof(pab_host_api), PAB_ABI_MAJOR, PAB_ABI_MINOR, h_log, h_log_enabled, h_get_header, h_set_header,
    h_get_attribute, h_set_tag, h_get_tag, h_tag_count, h_tag_at, h_deny, h_replace_body, h_set_error,
    h_segment_count, h_get_segment, h_replace_segment_text, h_insert_delta, h_counter_define, h_counter_add, h_now,
    h_deadline,
    NULL, NULL, NULL, /* v1.1 candidate functions: the pii-detector never routes */
};

const char *tag(const pab_call *c, const char *key) {
    for (uint32_t i = 0; i < c->ntags; i++) {
        if (strcmp(c->tags[i][0], key) == 0) return c->tags[i][1];
    }
    return "";
}

pab_instance *make(const pab_plugin *p, const char *json) {
    pab_create_args a = {sizeof a, &fake_host, NULL, {(const uint8_t *)"pii-detector", 12}, {(const uint8_t *)json, strlen(json)}};
    pab_instance *inst = NULL;
    char err[512];
    pab_rc rc = p->create(&a, &inst, err, sizeof err);
    CHECK(rc == PAB_OK, "create(%s): %s", json, err);
    return inst;
}

pab_stream_chunk chunk(const char *event, const char *data) {
    pab_stream_chunk k;
    memset(&k, 0, sizeof k);
    k.struct_size = sizeof k;
    k.event = (pab_view){(const uint8_t *)event, strlen(event)};
    k.data = (pab_view){(const uint8_t *)data, strlen(data)};
    k.is_final = strcmp(data, "[DONE]") == 0;
    return k;
}

