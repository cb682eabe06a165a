/* pi_config.c: config validation. Every error names the key path and says what was expected. */
#include "pi_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pab_json.h"

#define MAX_PATTERNS 1000
#define MAX_MESSAGE 1024
#define MAX_MODEL_PATH 4096

typedef struct role_name {
    const char *name;
    uint32_t bit;
} role_name;

static const role_name ROLES[] = {
    {"user", PI_ROLE_USER},         {"tool", PI_ROLE_TOOL},         {"assistant", PI_ROLE_ASSISTANT},
    {"system", PI_ROLE_SYSTEM},     {"developer", PI_ROLE_DEVELOPER},
};

uint32_t pi_role_bit(const char *name, size_t len) {
    if (len == 0) return PI_ROLE_USER;
    for (size_t i = 0; i < sizeof(ROLES) / sizeof(ROLES[0]); i++) {
        if (strlen(ROLES[i].name) == len && memcmp(ROLES[i].name, name, len) == 0) return ROLES[i].bit;
    }
    return 0;
}

static int type_error(char *err, size_t cap, const char *key, const char *want, const pab_json *v) {
    snprintf(err, cap, "%s: must be %s, got %s", key, want, pab_json_type_name(v->type));
    return -1;
}

static int get_bool(const pab_json *obj, const char *key, const char *path, int *out, char *err, size_t cap) {
    const pab_json *v = pab_json_get(obj, key);
    if (v == NULL) return 0;
    if (v->type != PAB_JSON_BOOL) return type_error(err, cap, path, "true or false", v);
    *out = v->boolean;
    return 0;
}

/* Reject keys outside `allowed`; `hints` maps known-but-unsupported keys to an explanation. */
static int check_keys(const pab_json *obj, const char *prefix, const char *const *allowed,
                      const char *const (*hints)[2], char *err, size_t cap) {
    for (size_t i = 0; i < obj->count; i++) {
        const char *k = obj->keys[i];
        int ok = 0;
        for (size_t a = 0; allowed[a] != NULL && !ok; a++) ok = strcmp(allowed[a], k) == 0;
        if (ok) continue;
        for (size_t h = 0; hints != NULL && hints[h][0] != NULL; h++) {
            if (strcmp(hints[h][0], k) == 0) {
                snprintf(err, cap, "%s%s: %s", prefix, k, hints[h][1]);
                return -1;
            }
        }
        char list[256] = "";
        size_t w = 0;
        for (size_t a = 0; allowed[a] != NULL && w < sizeof(list); a++) {
            int n = snprintf(list + w, sizeof(list) - w, "%s%s", a ? ", " : "", allowed[a]);
            if (n < 0) break;
            w += (size_t)n;
        }
        snprintf(err, cap, "%s%s: unknown key (expected one of: %s)", prefix, k, list);
        return -1;
    }
    return 0;
}

static int require_object(const pab_json *v, const char *path, char *err, size_t cap) {
    if (v->type != PAB_JSON_OBJECT) return type_error(err, cap, path, "an object", v);
    return 0;
}

static int parse_encoding(const pab_json *v, pi_config *c, char *err, size_t cap) {
    static const char *const allowed[] = {"decode_base64", "decode_hex", "max_decode_depth", "normalize_unicode",
                                          "detect_homoglyphs", NULL};
    if (require_object(v, "encoding", err, cap) || check_keys(v, "encoding.", allowed, NULL, err, cap)) return -1;
    pi_options *o = &c->detector;
    if (get_bool(v, "decode_base64", "encoding.decode_base64", &o->decode_base64, err, cap) ||
        get_bool(v, "decode_hex", "encoding.decode_hex", &o->decode_hex, err, cap) ||
        get_bool(v, "normalize_unicode", "encoding.normalize_unicode", &o->normalize_unicode, err, cap) ||
        get_bool(v, "detect_homoglyphs", "encoding.detect_homoglyphs", &o->detect_homoglyphs, err, cap))
        return -1;
    const pab_json *d = pab_json_get(v, "max_decode_depth");
    if (d != NULL) {
        if (d->type != PAB_JSON_NUMBER || d->number != (double)(int)d->number || d->number < 0 || d->number > 4) {
            snprintf(err, cap, "encoding.max_decode_depth: must be an integer from 0 to 4");
            return -1;
        }
        o->max_decode_depth = (unsigned)d->number;
    }
    return 0;
}

static int parse_boundaries(const pab_json *v, pi_config *c, char *err, size_t cap) {
    static const char *const allowed[] = {"detect_chat_template_tokens", "detect_role_markers", NULL};
    static const char *const hints[][2] = {
        {"enforce_delimiters", "not supported; use detect_chat_template_tokens and detect_role_markers"},
        {"reject_fake_boundaries", "not supported; use detect_chat_template_tokens and detect_role_markers"},
        {NULL, NULL},
    };
    if (require_object(v, "boundaries", err, cap) || check_keys(v, "boundaries.", allowed, hints, err, cap))
        return -1;
    pi_options *o = &c->detector;
    if (get_bool(v, "detect_chat_template_tokens", "boundaries.detect_chat_template_tokens",
                 &o->detect_chat_template_tokens, err, cap) ||
        get_bool(v, "detect_role_markers", "boundaries.detect_role_markers", &o->detect_role_markers, err, cap))
        return -1;
    return 0;
}

static int parse_action(const pab_json *v, const char *path, pi_config *c, char *err, size_t cap) {
    if (v->type != PAB_JSON_STRING) return type_error(err, cap, path, "\"block\" or \"flag\"", v);
    if (strcmp(v->str, "block") == 0) {
        c->action = PI_ACTION_BLOCK;
    } else if (strcmp(v->str, "flag") == 0) {
        c->action = PI_ACTION_FLAG;
    } else {
        snprintf(err, cap, "%s: must be \"block\" or \"flag\", got \"%.40s\"", path, v->str);
        return -1;
    }
    return 0;
}

static int parse_response(const pab_json *v, pi_config *c, char *err, size_t cap) {
    static const char *const allowed[] = {"action", "message", "log_level", NULL};
    if (require_object(v, "response", err, cap) || check_keys(v, "response.", allowed, NULL, err, cap)) return -1;
    const pab_json *a = pab_json_get(v, "action");
    if (a != NULL && parse_action(a, "response.action", c, err, cap) != 0) return -1;
    const pab_json *m = pab_json_get(v, "message");
    if (m != NULL) {
        if (m->type != PAB_JSON_STRING) return type_error(err, cap, "response.message", "a string", m);
        if (m->str_len == 0 || m->str_len > MAX_MESSAGE) {
            snprintf(err, cap, "response.message: must be 1..%d bytes", MAX_MESSAGE);
            return -1;
        }
        char *copy = malloc(m->str_len + 1);
        if (copy == NULL) {
            snprintf(err, cap, "out of memory");
            return -1;
        }
        memcpy(copy, m->str, m->str_len + 1);
        free(c->message);
        c->message = copy;
    }
    const pab_json *l = pab_json_get(v, "log_level");
    if (l != NULL) {
        static const char *const levels[] = {"trace", "debug", "info", "warn", "error"};
        if (l->type != PAB_JSON_STRING) return type_error(err, cap, "response.log_level", "a string", l);
        int found = -1;
        for (int i = 0; i < 5; i++) {
            if (strcmp(l->str, levels[i]) == 0) found = i;
        }
        if (found < 0) {
            snprintf(err, cap, "response.log_level: must be one of trace, debug, info, warn, error");
            return -1;
        }
        c->log_level = (uint32_t)found;
    }
    return 0;
}

static int parse_patterns(const pab_json *v, pi_config *c, char *err, size_t cap) {
    if (v->type != PAB_JSON_ARRAY) return type_error(err, cap, "attack_patterns", "an array of strings", v);
    if (v->count > MAX_PATTERNS) {
        snprintf(err, cap, "attack_patterns: at most %d patterns", MAX_PATTERNS);
        return -1;
    }
    c->patterns = calloc(v->count ? v->count : 1, sizeof(char *));
    if (c->patterns == NULL) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < v->count; i++) {
        const pab_json *s = &v->items[i];
        if (s->type != PAB_JSON_STRING) {
            snprintf(err, cap, "attack_patterns[%zu]: must be a string, got %s", i, pab_json_type_name(s->type));
            return -1;
        }
        c->patterns[i] = malloc(s->str_len + 1);
        if (c->patterns[i] == NULL) {
            snprintf(err, cap, "out of memory");
            return -1;
        }
        memcpy(c->patterns[i], s->str, s->str_len + 1);
        c->npatterns = i + 1;
    }
    c->detector.attack_patterns = (const char *const *)c->patterns;
    c->detector.n_attack_patterns = c->npatterns;
    return 0;
}

static int parse_roles(const pab_json *v, pi_config *c, char *err, size_t cap) {
    if (v->type != PAB_JSON_ARRAY) return type_error(err, cap, "scan_roles", "an array of role names", v);
    if (v->count == 0) {
        snprintf(err, cap, "scan_roles: must name at least one role (user, tool, assistant, system, developer)");
        return -1;
    }
    c->scan_roles = 0;
    for (size_t i = 0; i < v->count; i++) {
        const pab_json *s = &v->items[i];
        uint32_t bit = (s->type == PAB_JSON_STRING && s->str_len > 0) ? pi_role_bit(s->str, s->str_len) : 0;
        if (bit == 0) {
            snprintf(err, cap, "scan_roles[%zu]: must be one of user, tool, assistant, system, developer", i);
            return -1;
        }
        c->scan_roles |= bit;
    }
    return 0;
}

static int parse_multi_turn(const pab_json *v, pi_config *c, char *err, size_t cap) {
    static const char *const allowed[] = {"decay", NULL};
    if (require_object(v, "multi_turn", err, cap) || check_keys(v, "multi_turn.", allowed, NULL, err, cap))
        return -1;
    const pab_json *d = pab_json_get(v, "decay");
    if (d != NULL) {
        if (d->type != PAB_JSON_NUMBER || d->number < 0 || d->number > 1) {
            snprintf(err, cap, "multi_turn.decay: must be a number from 0 to 1");
            return -1;
        }
        c->detector.multi_turn_decay = d->number;
    }
    return 0;
}

static int parse_mode(const pab_json *v, pi_config *c, char *err, size_t cap) {
    static const char *const names[] = {"rules", "model", "both"};
    static const unsigned modes[] = {PI_MODE_RULES, PI_MODE_MODEL, PI_MODE_BOTH};
    if (v->type != PAB_JSON_STRING) return type_error(err, cap, "mode", "\"rules\", \"model\" or \"both\"", v);
    for (int i = 0; i < 3; i++) {
        if (strcmp(v->str, names[i]) == 0) {
            c->detector.mode = modes[i];
            return 0;
        }
    }
    snprintf(err, cap, "mode: must be \"rules\", \"model\" or \"both\", got \"%.40s\"", v->str);
    return -1;
}

/* Called after mode: a model file with mode rules would be silently unused, so it is refused. */
static int parse_model(const pab_json *v, pi_config *c, char *err, size_t cap) {
    if (v->type != PAB_JSON_STRING) return type_error(err, cap, "model", "a path to a model file (a string)", v);
    if (v->str_len == 0 || v->str_len > MAX_MODEL_PATH) {
        snprintf(err, cap, "model: must be a path of 1..%d bytes", MAX_MODEL_PATH);
        return -1;
    }
    if (c->detector.mode == PI_MODE_RULES) {
        snprintf(err, cap, "model: has no effect with mode: rules (use mode: model or both)");
        return -1;
    }
    c->model_path = malloc(v->str_len + 1);
    if (c->model_path == NULL) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    memcpy(c->model_path, v->str, v->str_len + 1);
    c->detector.model_path = c->model_path;
    return 0;
}

int pi_config_parse(const char *json, size_t n, pi_config *c, char *err, size_t cap) {
    memset(c, 0, sizeof(*c));
    pi_options_init(&c->detector);
    c->scan_roles = PI_ROLE_USER | PI_ROLE_TOOL;
    c->action = PI_ACTION_BLOCK;
    c->log_level = 3; /* warn */
    c->message = malloc(sizeof(PI_DEFAULT_MESSAGE));
    if (c->message == NULL) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    memcpy(c->message, PI_DEFAULT_MESSAGE, sizeof(PI_DEFAULT_MESSAGE));

    pab_json doc;
    pab_json_error jerr;
    if (pab_json_parse(json, n, 0, &doc, &jerr) != 0) { /* \u0000 refused: config strings are C strings */
        snprintf(err, cap, "invalid JSON at byte %zu: %s", jerr.offset, jerr.message);
        goto fail;
    }
    const pab_json *root = &doc;
    if (root->type == PAB_JSON_NULL) {
        pab_json_free(&doc);
        return 0;
    }
    static const char *const allowed[] = {"threshold", "attack_patterns", "encoding", "boundaries", "scan_roles",
                                          "response", "action", "multi_turn", "mode", "model", NULL};
    static const char *const hints[][2] = {
        {"embedding_threshold", "not supported: no embedding backend; the learned tier is mode: model or both"},
        {"backend", "not supported: no embedding backend; the learned tier is mode: model or both"},
        {"model_threshold", "not supported: threshold applies to the score of every mode"},
        {"model_path", "not supported; the key is model (a path to a model file)"},
        {"detection", "not supported; put attack_patterns at the top level"},
        {NULL, NULL},
    };
    if (require_object(root, "config", err, cap) || check_keys(root, "", allowed, hints, err, cap)) goto fail_doc;
    const pab_json *v;
    if ((v = pab_json_get(root, "threshold")) != NULL) {
        /* 0 would block every request (every score is >= 0): refuse it rather than surprise. */
        if (v->type != PAB_JSON_NUMBER || !(v->number > 0) || v->number > 1) {
            if (v->type != PAB_JSON_NUMBER) type_error(err, cap, "threshold", "a number greater than 0, at most 1", v);
            else snprintf(err, cap, "threshold: must be greater than 0 and at most 1, got %g", v->number);
            goto fail_doc;
        }
        c->detector.threshold = v->number;
    }
    if ((v = pab_json_get(root, "attack_patterns")) != NULL && parse_patterns(v, c, err, cap) != 0) goto fail_doc;
    if ((v = pab_json_get(root, "encoding")) != NULL && parse_encoding(v, c, err, cap) != 0) goto fail_doc;
    if ((v = pab_json_get(root, "boundaries")) != NULL && parse_boundaries(v, c, err, cap) != 0) goto fail_doc;
    if ((v = pab_json_get(root, "scan_roles")) != NULL && parse_roles(v, c, err, cap) != 0) goto fail_doc;
    if ((v = pab_json_get(root, "multi_turn")) != NULL && parse_multi_turn(v, c, err, cap) != 0) goto fail_doc;
    if ((v = pab_json_get(root, "mode")) != NULL && parse_mode(v, c, err, cap) != 0) goto fail_doc;
    if ((v = pab_json_get(root, "model")) != NULL && parse_model(v, c, err, cap) != 0) goto fail_doc;
    /* The flat form {threshold, action} of the provider pages, and the nested response object. */
    const pab_json *flat = pab_json_get(root, "action");
    const pab_json *resp = pab_json_get(root, "response");
    if (flat != NULL && resp != NULL && pab_json_get(resp, "action") != NULL) {
        snprintf(err, cap, "action: give either action or response.action, not both");
        goto fail_doc;
    }
    if (flat != NULL && parse_action(flat, "action", c, err, cap) != 0) goto fail_doc;
    if (resp != NULL && parse_response(resp, c, err, cap) != 0) goto fail_doc;
    pab_json_free(&doc);
    return 0;
fail_doc:
    pab_json_free(&doc);
fail:
    pi_config_free(c);
    return -1;
}

void pi_config_free(pi_config *c) {
    if (c == NULL) return;
    for (size_t i = 0; i < c->npatterns; i++) free(c->patterns[i]);
    free(c->patterns);
    free(c->message);
    free(c->model_path);
    memset(c, 0, sizeof(*c));
}
