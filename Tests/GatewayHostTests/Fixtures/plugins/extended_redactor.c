/* HOST MUST SAY: nothing (a well-behaved v1.1 test plugin); it redacts a word in every segment kind. */
/*
 * extended_redactor.c: a test plugin ("extended-redactor") built against PolicyABI v1.1 that sets
 * PAB_CAP_EXTENDED_SEGMENTS. In on_request and on_response it replaces every "alice@example.com" with
 * "[EMAIL]" in every segment it sees, and sets the tag "kinds" to the kinds of those segments in order
 * (comma-separated numbers), so tests can tell which kinds reached it.
 */
#include "policy_abi.h"

#include <stdio.h>
#include <string.h>

static const pab_host_api *host;
static int instance_token;
static const char needle[] = "alice@example.com";
static const char replacement[] = "[EMAIL]";

static pab_rc create(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap) {
    (void)args, (void)err, (void)err_cap;
    *out = (pab_instance *)&instance_token;
    return PAB_OK;
}

static void destroy(pab_instance *inst) { (void)inst; }

/* Replaces each occurrence of the needle in `text` into `out` (cap bytes); returns the new length. */
static size_t redact(pab_view text, char *out, size_t cap) {
    size_t n = 0, i = 0, k = sizeof needle - 1;
    while (i < text.len && n + sizeof replacement < cap) {
        if (text.len - i >= k && memcmp(text.ptr + i, needle, k) == 0) {
            memcpy(out + n, replacement, sizeof replacement - 1);
            n += sizeof replacement - 1;
            i += k;
        } else {
            out[n++] = (char)text.ptr[i++];
        }
    }
    return n;
}

static pab_verdict scan(pab_call *c) {
    char kinds[512] = "";
    size_t used = 0;
    int changed = 0;
    for (uint32_t i = 0; i < host->segment_count(c); i++) {
        pab_segment s = {.struct_size = sizeof s};
        if (host->get_segment(c, i, &s) != PAB_OK) return PAB_VERDICT_ERROR;
        used += (size_t)snprintf(kinds + used, used < sizeof kinds ? sizeof kinds - used : 0, "%s%u", i ? "," : "", s.kind);
        if (used >= sizeof kinds) used = sizeof kinds - 1;
        char out[4096];
        if (s.text.len >= sizeof out) continue;
        size_t n = redact(s.text, out, sizeof out);
        if (n != s.text.len || memcmp(out, s.text.ptr, n) != 0) {
            if (host->replace_segment_text(c, i, (pab_view){(const uint8_t *)out, n}) != PAB_OK) return PAB_VERDICT_ERROR;
            changed = 1;
        }
    }
    host->set_tag(c, (pab_view){(const uint8_t *)"kinds", 5}, (pab_view){(const uint8_t *)kinds, strlen(kinds)});
    return changed ? PAB_VERDICT_MUTATE : PAB_VERDICT_ALLOW;
}

static pab_verdict on_request(pab_instance *i, pab_exchange *ex, pab_call *c, const pab_request *r) {
    (void)i, (void)ex, (void)r;
    return scan(c);
}

static pab_verdict on_response(pab_instance *i, pab_exchange *ex, pab_call *c, const pab_response *r) {
    (void)i, (void)ex, (void)r;
    return scan(c);
}

static const pab_plugin descriptor = {
    .struct_size = sizeof(pab_plugin),
    .abi_major = PAB_ABI_MAJOR,
    .abi_minor = PAB_ABI_MINOR,
    .name = "extended-redactor",
    .version = "1.1.0",
    .description = "Test fixture: redacts one address in every segment kind (v1.1).",
    .capabilities = PAB_CAP_MUTATES_REQUEST | PAB_CAP_MUTATES_RESPONSE | PAB_CAP_EXTENDED_SEGMENTS,
    .create = create,
    .destroy = destroy,
    .on_request = on_request,
    .on_response = on_response,
};

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *h) {
    host = h;
    return &descriptor;
}
