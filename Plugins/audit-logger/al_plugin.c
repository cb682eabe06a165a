/* al_plugin.c: the audit-logger policy: one hash-chained JSON line per exchange, written at exchange_end.
 *
 * It subscribes to exchange_begin/exchange_end only and never changes an exchange. exchange_end runs on
 * the host's policy worker threads (never on the network event loop), concurrently for different
 * exchanges; the journal serialises the appends. */
#include "policy_abi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "al_buf.h"
#include "al_config.h"
#include "al_journal.h"
#include "al_record.h"

/* v1.3: the hooks never block and take microseconds, so the host may call them on its event loops
 * (0 when built against an older header). */
#ifdef PAB_CAP_INLINE_SAFE
#define AL_CAP_INLINE_SAFE PAB_CAP_INLINE_SAFE
#else
#define AL_CAP_INLINE_SAFE 0u
#endif

struct pab_instance {
    const pab_host_api *host;
    pab_host_instance *hi;
    al_settings settings;
    al_journal *journal;
    char *own_prefix; /* "<policy name>." : the namespace of tags this instance would set */
    uint32_t written_id, errors_id, skipped_id;
    int counters; /* the counters were defined */
};

static const char schema[] =
    "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
    "\"path\":{\"type\":\"string\",\"minLength\":1,\"default\":\"audit\"},"
    "\"file_prefix\":{\"type\":\"string\",\"pattern\":\"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$\",\"default\":\"audit\"},"
    "\"log_all_access\":{\"type\":\"boolean\",\"default\":true},"
    "\"retention_days\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":36500,\"default\":30},"
    "\"immutable\":{\"type\":\"boolean\",\"default\":true},"
    "\"fsync\":{\"enum\":[\"none\",\"every\"],\"default\":\"none\"},"
    "\"pricing\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"prompt\",\"completion\"],\"properties\":{\"prompt\":{\"type\":\"number\",\"minimum\":0},"
    "\"completion\":{\"type\":\"number\",\"minimum\":0}}}}}}";

static void journal_log(void *ctx, unsigned level, const char *msg) {
    pab_instance *inst = ctx;
    if (inst->host->log_enabled && !inst->host->log_enabled(level)) return;
    inst->host->log(inst->hi, level, (pab_view){(const uint8_t *)msg, strlen(msg)});
}

static void define_counter(pab_instance *inst, const char *name, uint32_t *id) {
    if (inst->host->counter_define(inst->hi, (pab_view){(const uint8_t *)name, strlen(name)}, id) != PAB_OK)
        inst->counters = 0;
}

static void count(pab_instance *inst, uint32_t id) {
    if (inst->counters) inst->host->counter_add(inst->hi, id, 1);
}

static void destroy(pab_instance *inst) {
    if (!inst) return;
    al_journal_close(inst->journal);
    al_settings_free(&inst->settings);
    free(inst->own_prefix);
    free(inst);
}

static pab_rc create(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap) {
    pab_instance *inst = calloc(1, sizeof *inst);
    if (!inst) {
        snprintf(err, err_cap, "out of memory");
        return PAB_ERR_FAILED;
    }
    inst->host = args->host;
    inst->hi = args->host_instance;
    inst->own_prefix = malloc(args->policy_name.len + 2);
    if (!inst->own_prefix) {
        snprintf(err, err_cap, "out of memory");
        free(inst);
        return PAB_ERR_FAILED;
    }
    if (args->policy_name.len) memcpy(inst->own_prefix, args->policy_name.ptr, args->policy_name.len);
    memcpy(inst->own_prefix + args->policy_name.len, ".", 2);

    if (al_settings_parse((const char *)args->config_json.ptr, args->config_json.len, NULL, &inst->settings, err,
                          err_cap) != 0) {
        free(inst->own_prefix);
        free(inst);
        return PAB_ERR_FAILED;
    }
    inst->counters = 1;
    define_counter(inst, "records_written", &inst->written_id);
    define_counter(inst, "write_errors", &inst->errors_id);
    define_counter(inst, "records_skipped", &inst->skipped_id);

    al_journal_options options = {
        .dir = inst->settings.path,
        .prefix = inst->settings.file_prefix,
        .retention_days = inst->settings.retention_days,
        .immutable = inst->settings.immutable,
        .fsync_every = inst->settings.fsync_every,
        .log = journal_log,
        .log_ctx = inst,
    };
    if (al_journal_open(&options, &inst->journal, err, err_cap) != 0) {
        destroy(inst);
        return PAB_ERR_FAILED;
    }
    *out = inst;
    return PAB_OK;
}

/* No per-exchange state: subscribing is what makes the host call exchange_end. */
static pab_rc exchange_begin(pab_instance *inst, pab_call *c, pab_exchange **out) {
    (void)inst;
    (void)c;
    *out = NULL;
    return PAB_OK;
}

static void exchange_end(pab_instance *inst, pab_exchange *ex, pab_call *c, pab_end_reason reason) {
    (void)ex;
    al_buf members = {0};
    int wanted = al_record_members(inst->host, c, &inst->settings, inst->own_prefix, reason, &members);
    if (members.failed) {
        count(inst, inst->errors_id);
    } else if (!wanted) {
        count(inst, inst->skipped_id);
    } else if (al_journal_append(inst->journal, members.data, members.len) == 0) {
        count(inst, inst->written_id);
    } else {
        count(inst, inst->errors_id);
    }
    al_buf_free(&members);
}

static const pab_plugin descriptor = {
    .struct_size = sizeof(pab_plugin),
    .abi_major = PAB_ABI_MAJOR,
    .abi_minor = PAB_ABI_MINOR,
    .name = "audit-logger",
    .version = "1.0.0",
    .description = "One hash-chained JSON line per exchange (metadata, verdicts, tags, usage; never bodies or keys)",
    /* A record is one write(2) to a local file under the journal lock. With `fsync: every` a call may wait
     * for the disk: the host then measures it over its inline budget and moves this instance to the
     * policy threads (README). */
    .capabilities = AL_CAP_INLINE_SAFE,
    .config_schema_json = schema,
    .create = create,
    .destroy = destroy,
    .exchange_begin = exchange_begin,
    .exchange_end = exchange_end,
};

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *host) {
    (void)host;
    return &descriptor;
}
