/* al_config.c: strict reading of the audit-logger config: every key known, every value checked. */
#define _POSIX_C_SOURCE 200809L
#include "al_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "al_json.h"
#include "pab_json.h"

static const char *const known_keys[] = {"path", "file_prefix", "log_all_access", "retention_days", "immutable",
                                         "fsync", "pricing"};
#define KNOWN_KEY_LIST "path, file_prefix, log_all_access, retention_days, immutable, fsync, pricing"

static char *dup_str(const char *s) {
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

static int valid_prefix(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] == '.') return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                 c == '.';
        if (!ok) return 0;
    }
    return 1;
}

static int read_bool(const pab_json *v, const char *key, int *out, char *err, size_t cap) {
    if (v->type != PAB_JSON_BOOL) {
        snprintf(err, cap, "config key `%s` must be true or false, got %s", key, pab_json_type_name(v->type));
        return -1;
    }
    *out = v->boolean;
    return 0;
}

static int read_price(const pab_json *v, const char *model, const char *field, double *out, char *err, size_t cap) {
    if (!v) {
        snprintf(err, cap, "config key `pricing.%s` needs `%s` (USD per 1M %s tokens)", model, field, field);
        return -1;
    }
    double d;
    if (aj_number_double(v, &d) != 0 || !(d >= 0) || d > 1e6) {
        snprintf(err, cap, "config key `pricing.%s.%s` must be a number of USD per 1M tokens between 0 and 1000000",
                 model, field);
        return -1;
    }
    *out = d;
    return 0;
}

static int read_pricing(const pab_json *v, al_settings *out, char *err, size_t cap) {
    if (v->type != PAB_JSON_OBJECT) {
        snprintf(err, cap,
                 "config key `pricing` must be an object {MODEL: {prompt: USD per 1M, completion: USD per 1M}}, got %s",
                 pab_json_type_name(v->type));
        return -1;
    }
    out->prices = calloc(v->count ? v->count : 1, sizeof *out->prices);
    if (!out->prices) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < v->count; i++) {
        const char *model = v->keys[i];
        const pab_json *entry = &v->items[i];
        if (model[0] == '\0') {
            snprintf(err, cap, "config key `pricing` has an empty model name");
            return -1;
        }
        if (entry->type != PAB_JSON_OBJECT) {
            snprintf(err, cap, "config key `pricing.%s` must be an object {prompt, completion}, got %s", model,
                     pab_json_type_name(entry->type));
            return -1;
        }
        for (size_t k = 0; k < entry->count; k++) {
            if (strcmp(entry->keys[k], "prompt") != 0 && strcmp(entry->keys[k], "completion") != 0) {
                snprintf(err, cap, "unknown config key `pricing.%s.%s` (known: prompt, completion)", model,
                         entry->keys[k]);
                return -1;
            }
        }
        al_price *p = &out->prices[out->price_count];
        if (read_price(pab_json_get(entry, "prompt"), model, "prompt", &p->prompt, err, cap) != 0) return -1;
        if (read_price(pab_json_get(entry, "completion"), model, "completion", &p->completion, err, cap) != 0) return -1;
        p->model = dup_str(model);
        if (!p->model) {
            snprintf(err, cap, "out of memory");
            return -1;
        }
        out->price_count++;
    }
    return 0;
}

static int resolve_path(const char *path, const char *cwd, al_settings *out, char *err, size_t cap) {
    if (path[0] == '/') {
        out->path = dup_str(path);
    } else {
        char buffer[4096];
        if (!cwd) cwd = getcwd(buffer, sizeof buffer);
        if (!cwd) {
            snprintf(err, cap, "config key `path`: cannot resolve the relative path \"%s\" (getcwd failed)", path);
            return -1;
        }
        size_t n = strlen(cwd) + 1 + strlen(path) + 1;
        out->path = malloc(n);
        if (out->path) snprintf(out->path, n, "%s%s%s", cwd, cwd[strlen(cwd) - 1] == '/' ? "" : "/", path);
    }
    if (!out->path) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    return 0;
}

static int apply(const pab_json *root, const char *cwd, al_settings *out, char *err, size_t cap) {
    if (root->type != PAB_JSON_OBJECT) {
        snprintf(err, cap, "the config must be an object, got %s", pab_json_type_name(root->type));
        return -1;
    }
    for (size_t i = 0; i < root->count; i++) {
        int known = 0;
        for (size_t k = 0; k < sizeof known_keys / sizeof known_keys[0]; k++)
            if (strcmp(root->keys[i], known_keys[k]) == 0) known = 1;
        if (!known) {
            snprintf(err, cap, "unknown config key `%s` (known: " KNOWN_KEY_LIST ")", root->keys[i]);
            return -1;
        }
    }
    const pab_json *v;
    const char *path = AL_DEFAULT_PATH, *prefix = AL_DEFAULT_PREFIX;
    if ((v = pab_json_get(root, "path"))) {
        if (v->type != PAB_JSON_STRING || v->str_len == 0) {
            snprintf(err, cap, "config key `path` must be a non-empty string (a folder), got %s",
                     v->type == PAB_JSON_STRING ? "an empty string" : pab_json_type_name(v->type));
            return -1;
        }
        path = v->str;
    }
    if ((v = pab_json_get(root, "file_prefix"))) {
        if (v->type != PAB_JSON_STRING || !valid_prefix(v->str)) {
            snprintf(err, cap,
                     "config key `file_prefix` must be 1 to 64 characters of A-Z a-z 0-9 . _ - not starting with '.'");
            return -1;
        }
        prefix = v->str;
    }
    if ((v = pab_json_get(root, "log_all_access")) && read_bool(v, "log_all_access", &out->log_all_access, err, cap) != 0)
        return -1;
    if ((v = pab_json_get(root, "immutable")) && read_bool(v, "immutable", &out->immutable, err, cap) != 0) return -1;
    if ((v = pab_json_get(root, "retention_days"))) {
        int64_t days;
        if (aj_number_int64(v, &days) != 0 || days < 1 || days > AL_MAX_RETENTION_DAYS) {
            snprintf(err, cap, "config key `retention_days` must be a whole number of days from 1 to %d",
                     AL_MAX_RETENTION_DAYS);
            return -1;
        }
        out->retention_days = (int)days;
    }
    if ((v = pab_json_get(root, "fsync"))) {
        if (v->type == PAB_JSON_STRING && strcmp(v->str, "none") == 0) out->fsync_every = 0;
        else if (v->type == PAB_JSON_STRING && strcmp(v->str, "every") == 0) out->fsync_every = 1;
        else {
            snprintf(err, cap, "config key `fsync` must be \"none\" or \"every\"");
            return -1;
        }
    }
    if ((v = pab_json_get(root, "pricing")) && read_pricing(v, out, err, cap) != 0) return -1;
    out->file_prefix = dup_str(prefix);
    if (!out->file_prefix) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    return resolve_path(path, cwd, out, err, cap);
}

int al_settings_parse(const char *json, size_t len, const char *cwd, al_settings *out, char *err, size_t err_cap) {
    memset(out, 0, sizeof *out);
    out->log_all_access = 1;
    out->retention_days = AL_DEFAULT_RETENTION_DAYS;
    out->immutable = 1;
    char json_err[160];
    pab_json doc;
    if (aj_parse(json, len, &doc, json_err, sizeof json_err) != 0) {
        snprintf(err, err_cap, "the config is not valid JSON: %s", json_err);
        return -1;
    }
    int rc = apply(&doc, cwd, out, err, err_cap);
    pab_json_free(&doc);
    if (rc != 0) al_settings_free(out);
    return rc;
}

void al_settings_free(al_settings *s) {
    for (size_t i = 0; i < s->price_count; i++) free(s->prices[i].model);
    free(s->prices);
    free(s->path);
    free(s->file_prefix);
    memset(s, 0, sizeof *s);
}

const al_price *al_settings_price(const al_settings *s, const char *model, size_t model_len) {
    for (size_t i = 0; i < s->price_count; i++)
        if (strlen(s->prices[i].model) == model_len && memcmp(s->prices[i].model, model, model_len) == 0)
            return &s->prices[i];
    return NULL;
}
