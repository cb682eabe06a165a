/* mock_host.c: the mock host table. */
#define _POSIX_C_SOURCE 200809L
#include "mock_host.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char counter_names[16][65];
static unsigned long long counter_values[16];
static unsigned ncounters;
static char *logs[256];
static unsigned nlogs;

static pab_view view(const char *s) { return (pab_view){(const uint8_t *)s, s ? strlen(s) : 0}; }

static void h_log(pab_host_instance *hi, pab_log_level level, pab_view msg) {
    (void)hi;
    (void)level;
    pthread_mutex_lock(&lock);
    if (nlogs < 256) {
        logs[nlogs] = malloc(msg.len + 1);
        memcpy(logs[nlogs], msg.ptr, msg.len);
        logs[nlogs][msg.len] = '\0';
        nlogs++;
    }
    pthread_mutex_unlock(&lock);
    if (getenv("MOCK_HOST_VERBOSE")) fprintf(stderr, "log: %.*s\n", (int)msg.len, (const char *)msg.ptr);
}
static uint32_t h_log_enabled(pab_log_level level) { return level >= PAB_LOG_INFO; }

static pab_rc h_get_header(pab_call *c, pab_header_set set, pab_view name, pab_view *out) {
    (void)set;
    (void)name;
    c->header_calls++;
    *out = view("Bearer sk-live-SECRET-0123456789");
    return PAB_OK;
}
static pab_rc h_set_header(pab_call *c, pab_header_set set, pab_view name, pab_view value) {
    (void)set;
    (void)name;
    (void)value;
    c->header_calls++;
    return PAB_ERR_INVALID;
}
static pab_rc h_get_attribute(pab_call *c, uint32_t id, pab_view *out) {
    if (id >= 32 || !c->attrs[id]) return PAB_ERR_NOT_FOUND;
    *out = view(c->attrs[id]);
    return PAB_OK;
}
static pab_rc h_set_tag(pab_call *c, pab_view key, pab_view value) {
    (void)c;
    (void)key;
    (void)value;
    return PAB_ERR_INVALID;
}
static pab_rc h_get_tag(pab_call *c, pab_view key, pab_view *out) {
    for (unsigned i = 0; i < c->ntags; i++)
        if (strlen(c->tag_keys[i]) == key.len && memcmp(c->tag_keys[i], key.ptr, key.len) == 0) {
            *out = view(c->tag_values[i]);
            return PAB_OK;
        }
    return PAB_ERR_NOT_FOUND;
}
static uint32_t h_tag_count(pab_call *c) { return c->ntags; }
static pab_rc h_tag_at(pab_call *c, uint32_t i, pab_view *k, pab_view *v) {
    if (i >= c->ntags) return PAB_ERR_NOT_FOUND;
    *k = view(c->tag_keys[i]);
    *v = view(c->tag_values[i]);
    return PAB_OK;
}
static pab_rc h_deny(pab_call *c, uint32_t s, pab_view code, pab_view msg) {
    (void)c;
    (void)s;
    (void)code;
    (void)msg;
    return PAB_ERR_INVALID;
}
static pab_rc h_replace_body(pab_call *c, pab_view body) {
    (void)body;
    c->segment_calls++;
    return PAB_ERR_INVALID;
}
static void h_set_error(pab_call *c, pab_view msg) {
    (void)c;
    (void)msg;
}
static uint32_t h_segment_count(pab_call *c) {
    c->segment_calls++;
    return 1;
}
static pab_rc h_get_segment(pab_call *c, uint32_t i, pab_segment *out) {
    (void)i;
    c->segment_calls++;
    out->text = view("my password is hunter2");
    return PAB_OK;
}
static pab_rc h_replace_segment_text(pab_call *c, uint32_t i, pab_view text) {
    (void)i;
    (void)text;
    c->segment_calls++;
    return PAB_ERR_INVALID;
}
static pab_rc h_insert_delta(pab_call *c, uint32_t item, uint32_t part, pab_view text) {
    (void)item;
    (void)part;
    (void)text;
    c->segment_calls++;
    return PAB_ERR_INVALID;
}
static pab_rc h_counter_define(pab_host_instance *hi, pab_view name, uint32_t *out) {
    (void)hi;
    pthread_mutex_lock(&lock);
    unsigned i;
    for (i = 0; i < ncounters; i++)
        if (strlen(counter_names[i]) == name.len && memcmp(counter_names[i], name.ptr, name.len) == 0) break;
    if (i == ncounters && ncounters < 16 && name.len <= 64) {
        memcpy(counter_names[i], name.ptr, name.len);
        counter_names[i][name.len] = '\0';
        ncounters++;
    }
    pthread_mutex_unlock(&lock);
    if (i >= 16) return PAB_ERR_INVALID;
    *out = i;
    return PAB_OK;
}
static void h_counter_add(pab_host_instance *hi, uint32_t id, uint64_t delta) {
    (void)hi;
    pthread_mutex_lock(&lock);
    if (id < ncounters) counter_values[id] += delta;
    pthread_mutex_unlock(&lock);
}
static uint64_t h_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
static uint64_t h_deadline_ns(pab_call *c) {
    (void)c;
    return h_now_ns() + 1000000000u;
}

const pab_host_api mock_host = {
    .struct_size = sizeof(pab_host_api),
    .abi_major = PAB_ABI_MAJOR,
    .abi_minor = PAB_ABI_MINOR,
    .log = h_log,
    .log_enabled = h_log_enabled,
    .get_header = h_get_header,
    .set_header = h_set_header,
    .get_attribute = h_get_attribute,
    .set_tag = h_set_tag,
    .get_tag = h_get_tag,
    .tag_count = h_tag_count,
    .tag_at = h_tag_at,
    .deny = h_deny,
    .replace_body = h_replace_body,
    .set_error = h_set_error,
    .segment_count = h_segment_count,
    .get_segment = h_get_segment,
    .replace_segment_text = h_replace_segment_text,
    .insert_delta = h_insert_delta,
    .counter_define = h_counter_define,
    .counter_add = h_counter_add,
    .now_ns = h_now_ns,
    .deadline_ns = h_deadline_ns,
};

void mock_call_init(struct pab_call *c, const char *request_id) {
    memset(c, 0, sizeof *c);
    c->attrs[PAB_ATTR_REQUEST_ID] = request_id;
    c->attrs[PAB_ATTR_ROUTE] = "/v1/chat/completions";
    c->attrs[PAB_ATTR_MODEL] = "gpt-4o-mini";
    c->attrs[PAB_ATTR_CLIENT_ID] = "team-a";
    c->attrs[PAB_ATTR_CLIENT_IP] = "127.0.0.1";
    c->attrs[PAB_ATTR_POLICY_NAME] = "audit-logger";
    c->attrs[PAB_ATTR_PACK_NAME] = "tests";
    c->attrs[PAB_ATTR_PACK_VERSION] = "1.2.3";
    c->attrs[PAB_ATTR_TARGET_ID] = "openai-main";
    c->attrs[PAB_ATTR_STATUS] = "200";
    c->attrs[PAB_ATTR_LATENCY_MS] = "42";
    c->attrs[PAB_ATTR_STREAM] = "false";
    c->attrs[PAB_ATTR_VERDICTS_JSON] = "[{\"policy\":\"pii-detector\",\"hook\":\"on_request\",\"verdict\":\"allow\"}]";
}

void mock_call_tag(struct pab_call *c, const char *key, const char *value) {
    if (c->ntags == MOCK_MAX_TAGS) return;
    c->tag_keys[c->ntags] = key;
    c->tag_values[c->ntags] = value;
    c->ntags++;
}

unsigned long long mock_counter(const char *name) {
    unsigned long long v = 0;
    pthread_mutex_lock(&lock);
    for (unsigned i = 0; i < ncounters; i++)
        if (strcmp(counter_names[i], name) == 0) v = counter_values[i];
    pthread_mutex_unlock(&lock);
    return v;
}

void mock_reset_counters(void) {
    pthread_mutex_lock(&lock);
    memset(counter_values, 0, sizeof counter_values);
    for (unsigned i = 0; i < nlogs; i++) free(logs[i]);
    nlogs = 0;
    pthread_mutex_unlock(&lock);
}

unsigned mock_logs_containing(const char *needle) {
    unsigned n = 0;
    pthread_mutex_lock(&lock);
    for (unsigned i = 0; i < nlogs; i++)
        if (strstr(logs[i], needle)) n++;
    pthread_mutex_unlock(&lock);
    return n;
}
