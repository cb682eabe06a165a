/*
 * pii_settings.c: config JSON -> pii_settings, with messages that say which key is wrong and why.
 */
#include "pii_settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pab_json.h"

static int err_at(char *err, size_t cap, const char *key, const char *what) {
    snprintf(err, cap, "config key `%s`: %s", key, what);
    return -1;
}

static int want_type(const pab_json *v, int type, const char *key, char *err, size_t cap) {
    if (v->type == type) return 0;
    snprintf(err, cap, "config key `%s`: expected %s, got %s", key, pab_json_type_name(type), pab_json_type_name(v->type));
    return -1;
}

/* Rejects members of obj not in `known` (NULL-terminated); `prefix` is "" or "redaction.". */
static int check_keys(const pab_json *obj, const char *const *known, const char *prefix, char *err, size_t cap) {
    for (size_t k = 0; k < obj->count; k++) {
        int ok = 0;
        for (size_t q = 0; known[q] != NULL && !ok; q++) ok = strcmp(obj->keys[k], known[q]) == 0;
        if (ok) continue;
        int n = snprintf(err, cap, "unknown config key `%s%s` (known keys:", prefix, obj->keys[k]);
        for (size_t q = 0; known[q] != NULL && n >= 0 && (size_t)n < cap; q++) {
            n += snprintf(err + n, cap - (size_t)n, "%s %s", q ? "," : "", known[q]);
        }
        if (n >= 0 && (size_t)n < cap) snprintf(err + n, cap - (size_t)n, ")");
        return -1;
    }
    return 0;
}

static int get_bool(const pab_json *obj, const char *name, const char *key, int *out, char *err, size_t cap) {
    const pab_json *v = pab_json_get(obj, name);
    if (v == NULL) return 0;
    if (want_type(v, PAB_JSON_BOOL, key, err, cap) != 0) return -1;
    *out = v->boolean;
    return 0;
}

static int type_by_name(const pii_settings *s, const char *name, size_t len) {
    int t = pii_builtin_type_from_name(name, len);
    if (t >= 0) return t;
    for (size_t k = 0; k < s->detect.pattern_count; k++) {
        if (strlen(s->patterns[k].name) == len && memcmp(s->patterns[k].name, name, len) == 0) {
            return (int)(PII_TYPE_CUSTOM_BASE + k);
        }
    }
    return -1;
}

static const char known_entities[] =
    "EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, IBAN_CODE, US_SSN, IP_ADDRESS, OPENAI_API_KEY, ANTHROPIC_API_KEY, "
    "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN, SLACK_TOKEN, GOOGLE_API_KEY, JWT, PRIVATE_KEY, "
    "SECRETS, ALL";

static int parse_entities(const pab_json *v, pii_settings *s, char *err, size_t cap) {
    if (want_type(v, PAB_JSON_ARRAY, "entities", err, cap) != 0) return -1;
    uint32_t types = 0;
    for (size_t k = 0; k < v->count; k++) {
        const pab_json *e = &v->items[k];
        char key[32];
        snprintf(key, sizeof key, "entities[%zu]", k);
        if (want_type(e, PAB_JSON_STRING, key, err, cap) != 0) return -1;
        int t = pii_builtin_type_from_name(e->str, e->str_len);
        if (t >= 0) {
            types |= PII_TYPE_BIT((uint32_t)t);
        } else if (strcmp(e->str, "SECRETS") == 0) {
            types |= PII_SECRET_TYPES;
        } else if (strcmp(e->str, "ALL") == 0) {
            types |= PII_ALL_BUILTIN_TYPES;
        } else {
            snprintf(err, cap, "config key `%s`: unknown entity \"%.64s\" (known: %s)", key, e->str, known_entities);
            return -1;
        }
    }
    s->detect.types = types;
    return 0;
}

static int parse_patterns(const pab_json *v, pii_settings *s, char *err, size_t cap) {
    if (want_type(v, PAB_JSON_ARRAY, "detect_patterns", err, cap) != 0) return -1;
    if (v->count > PII_MAX_PATTERNS) {
        snprintf(err, cap, "config key `detect_patterns`: at most %u patterns, got %zu", PII_MAX_PATTERNS, v->count);
        return -1;
    }
    static const char *const known[] = {"name", "pattern", NULL};
    for (size_t k = 0; k < v->count; k++) {
        const pab_json *e = &v->items[k];
        char key[64], prefix[40];
        snprintf(prefix, sizeof prefix, "detect_patterns[%zu].", k);
        snprintf(key, sizeof key, "detect_patterns[%zu]", k);
        if (e->type == PAB_JSON_STRING) {
            snprintf(err, cap, "config key `%s`: expected an object {\"name\": ..., \"pattern\": ...}; patterns use "
                               "# (digit), @ (upper-case letter), ? (letter or digit), \\ (escape), not regular "
                               "expressions", key);
            return -1;
        }
        if (want_type(e, PAB_JSON_OBJECT, key, err, cap) != 0) return -1;
        if (check_keys(e, known, prefix, err, cap) != 0) return -1;
        const pab_json *name = pab_json_get(e, "name"), *pat = pab_json_get(e, "pattern");
        snprintf(key, sizeof key, "detect_patterns[%zu].name", k);
        if (name == NULL) return err_at(err, cap, key, "missing");
        if (want_type(name, PAB_JSON_STRING, key, err, cap) != 0) return -1;
        if (pii_builtin_type_from_name(name->str, name->str_len) >= 0 || strcmp(name->str, "SECRETS") == 0 ||
            strcmp(name->str, "ALL") == 0) {
            return err_at(err, cap, key, "is the name of a built-in entity; choose another");
        }
        for (size_t q = 0; q < k; q++) {
            if (strcmp(s->patterns[q].name, name->str) == 0) return err_at(err, cap, key, "is used twice");
        }
        char why[160];
        if (pat == NULL) {
            snprintf(key, sizeof key, "detect_patterns[%zu].pattern", k);
            return err_at(err, cap, key, "missing");
        }
        snprintf(key, sizeof key, "detect_patterns[%zu].pattern", k);
        if (want_type(pat, PAB_JSON_STRING, key, err, cap) != 0) return -1;
        if (pii_pattern_compile(&s->patterns[k], name->str, name->str_len, pat->str, pat->str_len, why, sizeof why) != 0) {
            /* name errors and pattern errors come from the same call: point at the right key */
            if (strncmp(why, "name", 4) == 0) snprintf(key, sizeof key, "detect_patterns[%zu].name", k);
            return err_at(err, cap, key, why);
        }
        s->detect.pattern_count = k + 1;
    }
    return 0;
}

static int parse_style(const pab_json *v, const char *key, uint32_t *out, char *err, size_t cap) {
    if (want_type(v, PAB_JSON_STRING, key, err, cap) != 0) return -1;
    static const char *const names[] = {"label", "asterisk", "partial", "preserve_length"};
    for (uint32_t k = 0; k < 4; k++) {
        if (strcmp(v->str, names[k]) == 0) {
            *out = k;
            return 0;
        }
    }
    snprintf(err, cap, "config key `%s`: expected one of label, asterisk, partial, preserve_length, got \"%.64s\"", key,
             v->str);
    return -1;
}

static int parse_redaction(const pab_json *v, pii_settings *s, char *err, size_t cap) {
    if (want_type(v, PAB_JSON_OBJECT, "redaction", err, cap) != 0) return -1;
    static const char *const known[] = {"custom_markers", "include_metadata", "label_format", "marker_format",
                                        "preserve_length", "style", NULL};
    if (check_keys(v, known, "redaction.", err, cap) != 0) return -1;
    const pab_json *style = pab_json_get(v, "style"), *marker_format = pab_json_get(v, "marker_format");
    uint32_t st = PII_STYLE_LABEL, mf = PII_STYLE_LABEL;
    if (style != NULL && parse_style(style, "redaction.style", &st, err, cap) != 0) return -1;
    if (marker_format != NULL && parse_style(marker_format, "redaction.marker_format", &mf, err, cap) != 0) return -1;
    if (style != NULL && marker_format != NULL && st != mf) {
        return err_at(err, cap, "redaction.marker_format",
                      "is another name for redaction.style and disagrees with it; set only one");
    }
    if (style == NULL && marker_format != NULL) st = mf;
    int preserve = 0;
    if (get_bool(v, "preserve_length", "redaction.preserve_length", &preserve, err, cap) != 0) return -1;
    if (preserve) {
        if ((style != NULL || marker_format != NULL) && st != PII_STYLE_PRESERVE_LENGTH) {
            return err_at(err, cap, "redaction.preserve_length",
                          "true conflicts with the chosen redaction.style; use style: preserve_length");
        }
        st = PII_STYLE_PRESERVE_LENGTH;
    }
    s->redaction.style = st;
    const pab_json *lf = pab_json_get(v, "label_format");
    if (lf != NULL) {
        if (want_type(lf, PAB_JSON_STRING, "redaction.label_format", err, cap) != 0) return -1;
        if (lf->str_len == 0 || lf->str_len > PII_LABEL_FORMAT_MAX || strlen(lf->str) != lf->str_len) {
            snprintf(err, cap, "config key `redaction.label_format`: must be 1..%u bytes without NUL", PII_LABEL_FORMAT_MAX);
            return -1;
        }
        memcpy(s->redaction.label_format, lf->str, lf->str_len + 1);
    }
    if (get_bool(v, "include_metadata", "redaction.include_metadata", &s->include_metadata, err, cap) != 0) return -1;
    const pab_json *cm = pab_json_get(v, "custom_markers");
    if (cm != NULL) {
        if (want_type(cm, PAB_JSON_OBJECT, "redaction.custom_markers", err, cap) != 0) return -1;
        for (size_t k = 0; k < cm->count; k++) {
            char key[96];
            snprintf(key, sizeof key, "redaction.custom_markers.%.60s", cm->keys[k]);
            int t = type_by_name(s, cm->keys[k], cm->key_lens[k]);
            if (t < 0) {
                snprintf(err, cap, "config key `%s`: not an entity type (built-in or a detect_patterns name)", key);
                return -1;
            }
            const pab_json *m = &cm->items[k];
            if (want_type(m, PAB_JSON_STRING, key, err, cap) != 0) return -1;
            if (m->str_len > PII_MARKER_MAX || strlen(m->str) != m->str_len) {
                snprintf(err, cap, "config key `%s`: must be at most %u bytes without NUL", key, PII_MARKER_MAX);
                return -1;
            }
            char *copy = malloc(m->str_len + 1);
            if (copy == NULL) return err_at(err, cap, key, "out of memory");
            memcpy(copy, m->str, m->str_len + 1);
            free(s->markers[t]);
            s->markers[t] = copy;
            s->redaction.marker[t] = copy;
        }
    }
    return 0;
}

int pii_settings_parse(const char *json, size_t len, pii_settings *s, char *err, size_t cap) {
    memset(s, 0, sizeof *s);
    s->detect.types = PII_ALL_BUILTIN_TYPES;
    s->detect.patterns = s->patterns;
    s->redaction.style = PII_STYLE_LABEL;
    strcpy(s->redaction.label_format, "[{TYPE}]");
    s->action = PII_ACTION_REDACT;
    s->scan_request = 1;
    s->scan_response = 1;
    s->include_metadata = 1;
    s->hold_back_max = PII_HOLD_BACK_DEFAULT;

    pab_json root;
    pab_json_error jerr;
    /* \u0000 is allowed (patterns and markers are counted strings; block_message checks for NUL itself). */
    if (pab_json_parse(json, len, PAB_JSON_ALLOW_NUL, &root, &jerr) != 0) {
        snprintf(err, cap, "config is not valid JSON: offset %zu: %s", jerr.offset, jerr.message);
        return -1;
    }
    int rc = -1;
    static const char *const known[] = {"action", "block_message", "detect_patterns", "entities", "healthcare_mode",
                                        "hold_back_max", "pci_mode", "redaction", "scan_request", "scan_response",
                                        NULL};
    const pab_json *v;
    if (root.type != PAB_JSON_OBJECT) {
        snprintf(err, cap, "config must be a JSON object, got %s", pab_json_type_name(root.type));
        goto done;
    }
    if (check_keys(&root, known, "", err, cap) != 0) goto done;

    if ((v = pab_json_get(&root, "action")) != NULL) {
        if (want_type(v, PAB_JSON_STRING, "action", err, cap) != 0) goto done;
        if (strcmp(v->str, "redact") == 0) {
            s->action = PII_ACTION_REDACT;
        } else if (strcmp(v->str, "block") == 0) {
            s->action = PII_ACTION_BLOCK;
        } else {
            snprintf(err, cap, "config key `action`: expected \"redact\" or \"block\", got \"%.64s\"", v->str);
            goto done;
        }
    }
    if ((v = pab_json_get(&root, "detect_patterns")) != NULL && parse_patterns(v, s, err, cap) != 0) goto done;
    if ((v = pab_json_get(&root, "entities")) != NULL && parse_entities(v, s, err, cap) != 0) goto done;
    if (get_bool(&root, "pci_mode", "pci_mode", &s->pci_mode, err, cap) != 0) goto done;
    if (s->pci_mode) s->detect.types |= PII_TYPE_BIT(PII_CREDIT_CARD);
    int healthcare = 0;
    if (get_bool(&root, "healthcare_mode", "healthcare_mode", &healthcare, err, cap) != 0) goto done;
    if (healthcare) {
        err_at(err, cap, "healthcare_mode", "true is not supported by this plugin (no MRN / NPI / insurance id "
                                           "detection); remove the key or set it to false");
        goto done;
    }
    if (s->detect.types == 0 && s->detect.pattern_count == 0) {
        err_at(err, cap, "entities", "is empty and there are no detect_patterns: nothing would be detected");
        goto done;
    }
    if ((v = pab_json_get(&root, "redaction")) != NULL && parse_redaction(v, s, err, cap) != 0) goto done;
    if (get_bool(&root, "scan_request", "scan_request", &s->scan_request, err, cap) != 0) goto done;
    if (get_bool(&root, "scan_response", "scan_response", &s->scan_response, err, cap) != 0) goto done;
    if ((v = pab_json_get(&root, "block_message")) != NULL) {
        if (want_type(v, PAB_JSON_STRING, "block_message", err, cap) != 0) goto done;
        if (v->str_len == 0 || v->str_len > PII_BLOCK_MESSAGE_MAX || strlen(v->str) != v->str_len) {
            snprintf(err, cap, "config key `block_message`: must be 1..%u bytes without NUL", PII_BLOCK_MESSAGE_MAX);
            goto done;
        }
        s->block_message = malloc(v->str_len + 1);
        if (s->block_message == NULL) {
            err_at(err, cap, "block_message", "out of memory");
            goto done;
        }
        memcpy(s->block_message, v->str, v->str_len + 1);
    }
    if ((v = pab_json_get(&root, "hold_back_max")) != NULL) {
        if (want_type(v, PAB_JSON_NUMBER, "hold_back_max", err, cap) != 0) goto done;
        if (!v->is_integer || v->number < PII_HOLD_BACK_MIN || v->number > PII_HOLD_BACK_MAX) {
            snprintf(err, cap, "config key `hold_back_max`: expected an integer number of bytes in %u..%u",
                     PII_HOLD_BACK_MIN, PII_HOLD_BACK_MAX);
            goto done;
        }
        s->hold_back_max = (size_t)v->number;
    }
    rc = 0;
done:
    pab_json_free(&root);
    if (rc != 0) pii_settings_free(s);
    return rc;
}

void pii_settings_free(pii_settings *s) {
    for (size_t k = 0; k < PII_TYPE_SLOTS; k++) {
        free(s->markers[k]);
        s->markers[k] = NULL;
        s->redaction.marker[k] = NULL;
    }
    free(s->block_message);
    s->block_message = NULL;
}
