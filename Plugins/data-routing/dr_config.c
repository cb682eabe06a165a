/*
 * dr_config.c: reads and validates the data-routing config in create (never on a hot path).
 *
 * The host hands create the policy's config as canonical JSON (sorted keys, no insignificant whitespace).
 * It is parsed with the plugins' shared strict JSON reader (Plugins/common/pab_json.h, found through -I):
 * one reader for every plugin config instead of another copy of it.
 *
 * Every mistake fails create with a message that names the key, what was expected and, for a misspelt
 * key or value, the nearest known one: the gateway prints it with the policy name and refuses to start.
 * A typo must never silently drop a data requirement.
 */
#include "dr_internal.h"
#include "pab_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const known_keys[] = {
    "allowed_regions",     "log_provider_selection",     "max_retention_days", "on_no_compliant_provider",
    "require_no_training", "require_zero_data_retention",
};
#define KNOWN_KEY_COUNT (sizeof known_keys / sizeof known_keys[0])
#define KNOWN_KEY_LIST                                                                                         \
    "allowed_regions, log_provider_selection, max_retention_days, on_no_compliant_provider, require_no_training, " \
    "require_zero_data_retention"

/* Names an operator may bring from elsewhere (a target's `zdr` / `data_policy`, providers.requirements)
 * that no edit-distance rule would connect to ours. */
static const struct {
    const char *alias, *key;
} aliases[] = {
    {"zdr", "require_zero_data_retention"},
    {"require_zdr", "require_zero_data_retention"},
    {"training_opt_out", "require_no_training"},
    {"require_training_opt_out", "require_no_training"},
};

void dr_config_free(dr_config *cfg) {
    if (!cfg) return;
    for (size_t i = 0; cfg->regions && i < cfg->region_count; i++) free(cfg->regions[i]);
    free(cfg->regions);
    free(cfg->region_lens);
    cfg->regions = NULL;
    cfg->region_lens = NULL;
    cfg->region_count = 0;
}

int dr_config_needs_policy(const dr_config *cfg) {
    return cfg->require_zdr || cfg->require_no_training || cfg->has_max_retention;
}

/* Levenshtein distance of two short strings (both under 64 bytes: config keys and values). */
static size_t edit_distance(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    if (na > 63 || nb > 63) return (size_t)-1;
    size_t row[64], prev[64];
    for (size_t j = 0; j <= nb; j++) prev[j] = j;
    for (size_t i = 1; i <= na; i++) {
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t best = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < best) best = prev[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
        }
        memcpy(prev, row, (nb + 1) * sizeof row[0]);
    }
    return prev[nb];
}

const char *dr_did_you_mean(const char *key, const char *const *known, size_t count) {
    if (known == known_keys)
        for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
            if (strcmp(key, aliases[i].alias) == 0) return aliases[i].key;
    const char *best = NULL;
    size_t best_distance = (size_t)-1, key_len = strlen(key);
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(known[i]);
        /* A part of a key ("no_training", "regions") or a key with something added is a near-miss however
         * far apart the edit distance says they are. */
        if (key_len >= 4 && (strstr(known[i], key) || strstr(key, known[i]))) return known[i];
        size_t d = edit_distance(key, known[i]);
        size_t longest = key_len > len ? key_len : len;
        size_t limit = longest / 3 > 2 ? longest / 3 : 2;
        if (d <= limit && d < best_distance) {
            best = known[i];
            best_distance = d;
        }
    }
    return best;
}

/* Makes text from the config safe to quote in an error line: control bytes and quotes become '?'. */
static void printable(char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '\'') *s = '?';
}

static int fail(dr_config *cfg, char *err, size_t err_cap, const char *message) {
    if (err_cap) snprintf(err, err_cap, "%s", message);
    dr_config_free(cfg);
    return -1;
}

static int read_bool(const pab_json *root, const char *key, int *out, dr_config *cfg, char *err, size_t err_cap) {
    int rc = pab_json_get_bool(root, key, out);
    if (rc == PAB_JSON_OK || rc == PAB_JSON_MISSING) return 0;
    char detail[96];
    snprintf(detail, sizeof detail, "%s must be true or false", key);
    return fail(cfg, err, err_cap, detail);
}

static int read_regions(const pab_json *root, dr_config *cfg, char *err, size_t err_cap) {
    const pab_json *list = NULL;
    int rc = pab_json_get_strings(root, "allowed_regions", &list);
    if (rc == PAB_JSON_MISSING) return 0; /* any region */
    /* An empty list would exclude every target: almost certainly not what was meant, so say so. */
    if (rc != PAB_JSON_OK || list->count == 0)
        return fail(cfg, err, err_cap,
                    "allowed_regions must be a non-empty list of region names (leave it out to allow any region)");
    for (size_t i = 0; i < list->count; i++) {
        if (list->items[i].str_len == 0) {
            char detail[96];
            snprintf(detail, sizeof detail, "allowed_regions[%zu] is empty; every region needs a name", i);
            return fail(cfg, err, err_cap, detail);
        }
    }
    /* Copies: the parsed tree is freed when create returns, the config lives as long as the instance. */
    cfg->regions = calloc(list->count, sizeof *cfg->regions);
    cfg->region_lens = calloc(list->count, sizeof *cfg->region_lens);
    if (!cfg->regions || !cfg->region_lens) return fail(cfg, err, err_cap, "out of memory");
    for (; cfg->region_count < list->count; cfg->region_count++) {
        const pab_json *item = &list->items[cfg->region_count];
        char *copy = malloc(item->str_len + 1);
        if (!copy) return fail(cfg, err, err_cap, "out of memory");
        memcpy(copy, item->str, item->str_len + 1);
        cfg->regions[cfg->region_count] = copy;
        cfg->region_lens[cfg->region_count] = item->str_len;
    }
    return 0;
}

static int read_mode(const pab_json *root, dr_config *cfg, char *err, size_t err_cap) {
    const char *value = NULL;
    int rc = pab_json_get_string(root, "on_no_compliant_provider", &value, NULL);
    if (rc == PAB_JSON_MISSING) return 0; /* block */
    if (rc != PAB_JSON_OK) return fail(cfg, err, err_cap, "on_no_compliant_provider must be \"block\" or \"allow\"");
    if (strcmp(value, "block") == 0) cfg->block = 1;
    else if (strcmp(value, "allow") == 0) cfg->block = 0;
    else {
        static const char *const modes[] = {"block", "allow"};
        char detail[200], mode[41];
        snprintf(mode, sizeof mode, "%s", value); /* at most 40 bytes of it in the message */
        printable(mode);
        const char *near = dr_did_you_mean(mode, modes, 2);
        snprintf(detail, sizeof detail, "on_no_compliant_provider is '%s'%s%s%s; use \"block\" or \"allow\"", mode,
                 near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
        return fail(cfg, err, err_cap, detail);
    }
    return 0;
}

static int read_all(const pab_json *root, dr_config *out, char *err, size_t err_cap);

int dr_config_parse(const char *json, size_t len, dr_config *out, char *err, size_t err_cap) {
    memset(out, 0, sizeof *out);
    out->block = 1;
    if (err_cap) err[0] = '\0';

    pab_json root;
    pab_json_error jerr;
    if (pab_json_parse(json, len, PAB_JSON_ALLOW_NUL, &root, &jerr) != 0 || root.type != PAB_JSON_OBJECT) {
        pab_json_free(&root);
        return fail(out, err, err_cap, "the config is not a JSON object");
    }
    int rc = read_all(&root, out, err, err_cap);
    pab_json_free(&root);
    return rc;
}

static int read_all(const pab_json *root, dr_config *out, char *err, size_t err_cap) {
    /* Unknown keys first: a misspelt requirement must fail loudly, never be ignored. */
    const char *key = pab_json_unknown_key(root, known_keys, KNOWN_KEY_COUNT);
    if (key) {
        char detail[400], unknown[64];
        snprintf(unknown, sizeof unknown, "%s", key); /* at most 63 bytes of it in the message */
        const char *near = dr_did_you_mean(unknown, known_keys, KNOWN_KEY_COUNT);
        printable(unknown);
        snprintf(detail, sizeof detail, "unknown config key '%s'%s%s%s; known keys: " KNOWN_KEY_LIST, unknown,
                 near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
        return fail(out, err, err_cap, detail);
    }

    if (read_bool(root, "require_zero_data_retention", &out->require_zdr, out, err, err_cap) ||
        read_bool(root, "require_no_training", &out->require_no_training, out, err, err_cap) ||
        read_bool(root, "log_provider_selection", &out->log_selection, out, err, err_cap))
        return -1;

    int64_t days = 0;
    int rc = pab_json_get_int(root, "max_retention_days", 0, DR_MAX_RETENTION_DAYS, &days);
    if (rc == PAB_JSON_OK) {
        out->has_max_retention = 1;
        out->max_retention_days = days;
    } else if (rc != PAB_JSON_MISSING) {
        return fail(out, err, err_cap, "max_retention_days must be a whole number of days from 0 to 2147483647");
    }

    if (read_regions(root, out, err, err_cap) || read_mode(root, out, err, err_cap)) return -1;
    return 0;
}
