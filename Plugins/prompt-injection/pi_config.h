/* pi_config.h: the policy's config (JSON, see README.md for every key and its default) parsed and
 * validated into plain values. Unknown keys are errors: a typo must not silently weaken a policy. */
#ifndef PI_CONFIG_H
#define PI_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "pi_detector.h"

/* Message roles that can be scanned (scan_roles). */
#define PI_ROLE_USER 0x01u
#define PI_ROLE_TOOL 0x02u
#define PI_ROLE_ASSISTANT 0x04u
#define PI_ROLE_SYSTEM 0x08u
#define PI_ROLE_DEVELOPER 0x10u

#define PI_ACTION_BLOCK 0u
#define PI_ACTION_FLAG 1u

#define PI_DEFAULT_MESSAGE "Request blocked: prompt injection detected"

typedef struct pi_config {
    pi_options detector;  /* detector.attack_patterns points into `patterns` */
    char **patterns;
    size_t npatterns;
    uint32_t scan_roles;  /* PI_ROLE_* bits */
    uint32_t action;      /* PI_ACTION_* */
    char *message;        /* shown to the client on block */
    uint32_t log_level;   /* 0 trace .. 4 error (the ABI's PAB_LOG_* values) for detection log lines */
    char *model_path;     /* config `model`; detector.model_path points here; NULL = the built-in model */
} pi_config;

/* Parse and validate. Returns 0, or -1 with a message naming the offending key in err. */
int pi_config_parse(const char *json, size_t n, pi_config *out, char *err, size_t err_cap);
void pi_config_free(pi_config *c);
/* The role bit for a role name ("user" -> PI_ROLE_USER); 0 when unknown. An empty name is "user"
 * (a Responses API `input` string has no role). */
uint32_t pi_role_bit(const char *name, size_t len);

#endif
