/* pi_rules_builtin.h: the curated signal set that ships with the plugin (data only; see pi_rules.h for
 * the pattern language and pi_rules_builtin.c for the rules and why each weight is what it is). */
#ifndef PI_RULES_BUILTIN_H
#define PI_RULES_BUILTIN_H

#include <stddef.h>
#include <stdint.h>

/* Rule scopes. */
#define PI_SCOPE_ANY 0u       /* anywhere in a scanned message */
#define PI_SCOPE_UNTRUSTED 1u /* only inside third-party content: a tool result, or quoted text in a user turn */
#define PI_MARK_AFTER 2u      /* not a signal: quoted content starts after this match ("the email below:") */
#define PI_MARK_AT 3u         /* not a signal: quoted content starts at this match (an e-mail header line) */

typedef struct pi_rule_def {
    const char *group;
    uint32_t family;   /* PI_FAM_*; 0 for markers */
    float weight;
    uint8_t scope;     /* PI_SCOPE_* / PI_MARK_* */
    uint8_t neg;       /* 1: a negation (not / never / don't ...) in the two words before cancels it */
    uint32_t feature;  /* PI_FEAT_* the rule needs, 0 = always on */
    const char *forbid; /* class that may not occur inside gaps ("MINE"), or NULL */
    const char *pattern;
} pi_rule_def;

/* A literal string: chat-template tokens over the lower-cased text, or squashed phrases over the
 * letters-only text. */
typedef struct pi_literal_def {
    const char *text;
    const char *group;
    uint32_t family;
    float weight;
    uint32_t feature;
    float role_weight; /* > 0: weight when a role word (system/assistant/developer) follows the token */
} pi_literal_def;

extern const pi_rule_def pi_builtin_rules[];
extern const size_t pi_builtin_rules_len;
extern const pi_literal_def pi_builtin_templates[];
extern const size_t pi_builtin_templates_len;
extern const pi_literal_def pi_builtin_squashed[];
extern const size_t pi_builtin_squashed_len;

#endif
