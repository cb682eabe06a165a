/*
 * dr_plugin.c: the data-routing policy (PolicyABI v1.1). It keeps an exchange away from upstream targets
 * that do not promise what the config requires about data (zero data retention, no training, a retention
 * limit, allowed regions), per policy chain instead of gateway-wide like providers.requirements.
 *
 * How: in on_request it reads the candidate targets the host would route the exchange to
 * (candidate_count / get_candidate), excludes every non-compliant one (exclude_candidate, with the
 * reasons), and when no compliant candidate is left either denies with 409 no_compliant_provider
 * ("block", the default) or lets routing answer (503 no_available_target, naming the reasons: "allow").
 * It sets the tag "excluded" (stored as "<policy>.excluded") to the number of candidates it excluded.
 *
 * Build (scripts/install-plugins.sh does it; pab_json.h is the plugins' shared JSON reader):
 *   cc -std=c11 -O2 -shared -fPIC -fvisibility=hidden -I Sources/PolicyABI/include \
 *      -I Plugins/common -o plugins.d/data-routing.so Plugins/data-routing/dr_*.c
 *
 * THREADS: the instance is read-only after create, so hooks of many exchanges share it without locks; a
 * hook keeps its state on its own stack (no allocation per request).
 */
#include "dr_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DENY_CODE "no_compliant_provider"
#define DENY_STATUS 409u

typedef struct dr_instance {
    const pab_host_api *host; /* process lifetime */
    pab_host_instance *hi;    /* valid until destroy returns */
    dr_config cfg;
    uint32_t excluded_counter, blocked_counter;
} dr_instance;

static pab_view view_of(const char *s) { return (pab_view){(const uint8_t *)s, strlen(s)}; }

/* ---------------------------------------------------------------------------------------------------
 * create / destroy (control thread)
 * ------------------------------------------------------------------------------------------------- */

static pab_rc create(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap) {
    const pab_host_api *host = args->host;
    /* The v1.0-host path. A compliance policy that cannot see or exclude targets would let every request
     * reach any provider: refuse to start (the gateway prints this and exits) rather than ALLOW with a
     * warning that nobody reads until the data has left. exclude_candidate is the last of the three v1.1
     * members, so its presence implies the others (tables only grow at the end). A real v1.0 gateway
     * already refuses this plugin for its abi_minor; this also covers hosts that advertise 1.1 with a
     * shorter table. */
    if (!PAB_HAS(host, pab_host_api, exclude_candidate)) {
        snprintf(err, err_cap,
                 "this gateway's host API has no candidate routing (PolicyABI %u.%u; data-routing needs 1.1 for "
                 "candidate_count, get_candidate and exclude_candidate): upgrade the gateway, or use "
                 "providers.requirements instead",
                 (unsigned)host->abi_major, (unsigned)host->abi_minor);
        return PAB_ERR_FAILED;
    }
    dr_instance *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, err_cap, "out of memory");
        return PAB_ERR_FAILED;
    }
    d->host = host;
    d->hi = args->host_instance;
    if (dr_config_parse((const char *)args->config_json.ptr, args->config_json.len, &d->cfg, err, err_cap) != 0) {
        free(d);
        return PAB_ERR_FAILED;
    }
    /* Counters may be defined in create only. */
    if (host->counter_define(d->hi, view_of("excluded_candidates"), &d->excluded_counter) != PAB_OK ||
        host->counter_define(d->hi, view_of("blocked_requests"), &d->blocked_counter) != PAB_OK) {
        snprintf(err, err_cap, "could not define the counters");
        dr_config_free(&d->cfg);
        free(d);
        return PAB_ERR_FAILED;
    }
    /* Settings only: region names are configuration, not data, but a count says enough. */
    char line[300];
    const dr_config *c = &d->cfg;
    char retention[40] = "no retention limit", regions[40] = "any region";
    if (c->has_max_retention)
        snprintf(retention, sizeof retention, "retention <= %lld days", (long long)c->max_retention_days);
    if (c->regions) snprintf(regions, sizeof regions, "%zu allowed region(s)", c->region_count);
    snprintf(line, sizeof line,
             "data-routing: zero data retention %s, no training %s, %s, %s, on no compliant provider: %s, "
             "selection log %s",
             c->require_zdr ? "required" : "not required",
             c->require_no_training || c->require_zdr ? "required" : "not required", retention, regions,
             c->block ? "block (409)" : "allow (routing answers 503)", c->log_selection ? "on" : "off");
    /* A config without requirements is valid but does nothing: said here, at INFO, not as a warning (the
     * conformance check creates an instance with {} hundreds of times). */
    if (!dr_config_needs_policy(c) && !c->regions)
        snprintf(line, sizeof line, "data-routing: no requirement configured; every target complies (selection log %s)",
                 c->log_selection ? "on" : "off");
    host->log(d->hi, PAB_LOG_INFO, view_of(line));
    *out = (pab_instance *)d;
    return PAB_OK;
}

static void destroy(pab_instance *inst) {
    dr_instance *d = (dr_instance *)inst;
    if (!d) return;
    dr_config_free(&d->cfg);
    free(d);
}

/* ---------------------------------------------------------------------------------------------------
 * on_request (policy threads, concurrently for different exchanges)
 * ------------------------------------------------------------------------------------------------- */

/* At most `max` bytes of a view, for "%.*s". */
static int clip(pab_view v, size_t max) { return (int)(v.len < max ? v.len : max); }

/* One log line per candidate: ids and the verdict's reasons, nothing from the request's content. */
static void log_verdict(const dr_instance *d, pab_call *c, const pab_candidate *k, const char *verdict,
                        const char *why) {
    pab_view rid = {0};
    if (d->host->get_attribute(c, PAB_ATTR_REQUEST_ID, &rid) != PAB_OK) rid = (pab_view){0};
    pab_view region = k->region.len ? k->region : view_of("none");
    char line[400];
    int n = snprintf(line, sizeof line, "data-routing: request %.*s: target '%.*s' (%.*s, region %.*s): %s%s%s",
                     clip(rid, 64), (const char *)rid.ptr, clip(k->id, 64), (const char *)k->id.ptr,
                     clip(k->provider, 32), (const char *)k->provider.ptr, clip(region, 32),
                     (const char *)region.ptr, verdict, why[0] ? ": " : "", why);
    if (n <= 0) return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    d->host->log(d->hi, PAB_LOG_INFO, (pab_view){(const uint8_t *)line, len});
}

/* A host function failed where it cannot: fail (the policy's on_error applies; fail_closed by default), so
 * a target that should have been excluded is never used by accident. */
static pab_verdict host_failed(const dr_instance *d, pab_call *c, const char *what) {
    d->host->set_error(c, view_of(what));
    return PAB_VERDICT_ERROR;
}

/* The client's answer when nothing compliant is left: counts per reason type, never target names or
 * settings (the client need not learn how the gateway is deployed; the log has the details). */
static pab_verdict block(const dr_instance *d, pab_call *c, const uint32_t *per_reason, uint32_t excluded,
                         uint32_t elsewhere) {
    char message[512];
    size_t used = 0;
    int n = snprintf(message, sizeof message,
                     "No provider that meets this gateway's data requirements can serve this request: %u candidate "
                     "target(s) excluded (",
                     excluded);
    if (n > 0) used = (size_t)n;
    int first = 1;
    for (unsigned i = 0; i < DR_REASON_COUNT && used < sizeof message; i++) {
        if (!per_reason[i]) continue;
        n = snprintf(message + used, sizeof message - used, "%s%s: %u", first ? "" : "; ", dr_reason_text(i),
                     per_reason[i]);
        if (n > 0) used += (size_t)n;
        first = 0;
    }
    if (used < sizeof message) {
        if (elsewhere)
            n = snprintf(message + used, sizeof message - used, "); %u more excluded by other policies.", elsewhere);
        else
            n = snprintf(message + used, sizeof message - used, ").");
        if (n > 0) used += (size_t)n;
    }
    if (used >= sizeof message) used = sizeof message - 1;
    if (d->host->deny(c, DENY_STATUS, view_of(DENY_CODE), (pab_view){(const uint8_t *)message, used}) != PAB_OK)
        return host_failed(d, c, "data-routing: deny() refused the answer");
    d->host->counter_add(d->hi, d->blocked_counter, 1);
    return PAB_VERDICT_DENY;
}

static pab_verdict on_request(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_request *r) {
    (void)ex, (void)r;
    const dr_instance *d = (const dr_instance *)inst;
    const pab_host_api *host = d->host;
    /* create refused a host without these; checked again because reading past a short table is UB. */
    if (!PAB_HAS(host, pab_host_api, exclude_candidate))
        return host_failed(d, c, "data-routing: the host has no candidate routing (PolicyABI 1.1)");

    uint32_t count = host->candidate_count(c);
    uint32_t compliant = 0, excluded = 0, elsewhere = 0;
    uint32_t per_reason[DR_REASON_COUNT] = {0};
    int logging = d->cfg.log_selection && host->log_enabled(PAB_LOG_INFO);
    for (uint32_t i = 0; i < count; i++) {
        /* retention_days -1 in case a host fills less than this struct: "undeclared", never "0 days". */
        pab_candidate k = {.struct_size = sizeof k, .retention_days = -1};
        if (host->get_candidate(c, i, &k) != PAB_OK)
            return host_failed(d, c, "data-routing: get_candidate failed for a listed candidate");
        unsigned bits = dr_check(&d->cfg, &k);
        char why[160];
        dr_describe(bits, why, sizeof why);
        if (k.excluded) {
            /* Another policy excluded it first: keep its reason (a second exclusion would replace it) and
             * do not count it as usable. */
            elsewhere++;
            if (logging)
                log_verdict(d, c, &k, bits ? "already excluded by another policy; it also fails here" :
                                             "already excluded by another policy", why);
            continue;
        }
        if (bits == 0) {
            compliant++;
            if (logging) log_verdict(d, c, &k, "compliant", "");
            continue;
        }
        if (host->exclude_candidate(c, i, (pab_view){(const uint8_t *)why, strlen(why)}) != PAB_OK)
            return host_failed(d, c, "data-routing: exclude_candidate failed");
        excluded++;
        for (unsigned b = 0; b < DR_REASON_COUNT; b++)
            if (bits & (1u << b)) per_reason[b]++;
        if (logging) log_verdict(d, c, &k, "excluded", why);
    }

    char value[16];
    int n = snprintf(value, sizeof value, "%u", excluded);
    host->set_tag(c, view_of("excluded"), (pab_view){(const uint8_t *)value, (size_t)n});
    if (excluded) host->counter_add(d->hi, d->excluded_counter, excluded);

    /* Block only when this policy's requirements emptied the list. No candidates at all (an unknown model)
     * or only other policies' exclusions are routing's to answer, with its own error. */
    if (compliant == 0 && excluded > 0 && d->cfg.block) return block(d, c, per_reason, excluded, elsewhere);
    return PAB_VERDICT_ALLOW;
}

/* ---------------------------------------------------------------------------------------------------
 * Descriptor and entry point
 * ------------------------------------------------------------------------------------------------- */

static const char config_schema[] =
    "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
    "\"require_zero_data_retention\":{\"type\":\"boolean\",\"default\":false},"
    "\"require_no_training\":{\"type\":\"boolean\",\"default\":false},"
    "\"max_retention_days\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":2147483647},"
    "\"allowed_regions\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"type\":\"string\",\"minLength\":1}},"
    "\"on_no_compliant_provider\":{\"enum\":[\"block\",\"allow\"],\"default\":\"block\"},"
    "\"log_provider_selection\":{\"type\":\"boolean\",\"default\":false}}}";

static const pab_plugin descriptor = {
    .struct_size = sizeof(pab_plugin),
    .abi_major = PAB_ABI_MAJOR,
    /* 1.1: the candidate functions. Older gateways refuse the plugin at load, which is what we want. */
    .abi_minor = PAB_ABI_MINOR,
    .name = "data-routing",
    .version = "1.0.0",
    .description = "Routes each request only to targets that meet its data requirements (ZDR, training, retention, "
                   "regions).",
    .capabilities = 0, /* it never changes a body: it only excludes targets and denies */
    .config_schema_json = config_schema,
    .create = create,
    .destroy = destroy,
    .on_request = on_request,
};

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *host) {
    (void)host; /* create gets the table again and checks it there, where its refusal names the policy */
    return &descriptor;
}
