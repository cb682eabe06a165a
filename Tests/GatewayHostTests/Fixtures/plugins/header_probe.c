/* HOST MUST SAY: credential headers read as not found through get_header; other headers are readable. */
/*
 * header_probe.c: a test plugin ("header-probe") that reads a fixed list of request headers in on_request
 * and sets one tag per header: "found" when get_header returned PAB_OK, "absent" when PAB_ERR_NOT_FOUND,
 * "error" otherwise. The values themselves never leave the plugin (they may be credentials).
 * on_response does the same for response headers, with tags "response.<name>"; for
 * x-ratelimit-remaining-requests the tag holds the value itself (not a secret).
 */
#include "policy_abi.h"

#include <stdio.h>
#include <string.h>

static const pab_host_api *host;
static int instance_token;

static const char *const probed[] = {
    "authorization", "Api-Key", "x-api-key", "cookie", "proxy-authorization", "x-visible",
};

static pab_rc create(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap) {
    (void)args, (void)err, (void)err_cap;
    *out = (pab_instance *)&instance_token;
    return PAB_OK;
}

static void destroy(pab_instance *inst) { (void)inst; }

static pab_view view(const char *s) { return (pab_view){(const uint8_t *)s, strlen(s)}; }

static pab_verdict on_request(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_request *r) {
    (void)inst, (void)ex, (void)r;
    for (size_t i = 0; i < sizeof probed / sizeof probed[0]; i++) {
        pab_view value = {0};
        pab_rc rc = host->get_header(c, PAB_HEADERS_REQUEST, view(probed[i]), &value);
        const char *result = rc == PAB_OK ? "found" : rc == PAB_ERR_NOT_FOUND ? "absent" : "error";
        host->set_tag(c, view(probed[i]), view(result));
    }
    return PAB_VERDICT_ALLOW;
}

static const char *const probed_response[] = {"x-ratelimit-remaining-requests", "set-cookie", "x-absent"};

static pab_verdict on_response(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_response *r) {
    (void)inst, (void)ex, (void)r;
    for (size_t i = 0; i < sizeof probed_response / sizeof probed_response[0]; i++) {
        pab_view value = {0};
        pab_rc rc = host->get_header(c, PAB_HEADERS_RESPONSE, view(probed_response[i]), &value);
        char key[64];
        snprintf(key, sizeof key, "response.%s", probed_response[i]);
        if (rc == PAB_OK && i == 0) host->set_tag(c, view(key), value);
        else host->set_tag(c, view(key), view(rc == PAB_OK ? "found" : rc == PAB_ERR_NOT_FOUND ? "absent" : "error"));
    }
    return PAB_VERDICT_ALLOW;
}

static const pab_plugin descriptor = {
    .struct_size = sizeof(pab_plugin),
    .abi_major = PAB_ABI_MAJOR,
    .abi_minor = PAB_ABI_MINOR,
    .name = "header-probe",
    .version = "1.0.0",
    .description = "Test fixture: reports which request headers get_header lets it read.",
    .create = create,
    .destroy = destroy,
    .on_request = on_request,
    .on_response = on_response,
};

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *h) {
    host = h;
    return &descriptor;
}
