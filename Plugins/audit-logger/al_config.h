/* al_config.h: the audit-logger's settings, read from the policy's config JSON. */
#ifndef AL_CONFIG_H
#define AL_CONFIG_H

#include <stddef.h>

/* USD per one million tokens, for one model (or target id). */
typedef struct al_price {
    char *model;
    double prompt;
    double completion;
} al_price;

typedef struct al_settings {
    char *path;        /* folder of the log files, absolute (a relative path is resolved at create) */
    char *file_prefix; /* files are PREFIX-YYYY-MM-DD.jsonl */
    int log_all_access;
    int retention_days;
    int immutable;
    int fsync_every;
    al_price *prices;
    size_t price_count;
} al_settings;

#define AL_DEFAULT_PATH "audit"
#define AL_DEFAULT_PREFIX "audit"
#define AL_DEFAULT_RETENTION_DAYS 30
#define AL_MAX_RETENTION_DAYS 36500

/* Reads the config JSON (an object). Returns 0, or -1 with a message naming the key in err.
 * `cwd` resolves a relative `path` (NULL: use getcwd). */
int al_settings_parse(const char *json, size_t len, const char *cwd, al_settings *out, char *err, size_t err_cap);
void al_settings_free(al_settings *s);
/* The price for `model`, or NULL. */
const al_price *al_settings_price(const al_settings *s, const char *model, size_t model_len);

#endif
