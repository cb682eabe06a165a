/* pi_detector.h: the prompt-injection detector core, a plain C API with no dependency on the plugin ABI.
 *
 *   pi_options o; pi_options_init(&o);            // defaults, then change what you need
 *   pi_detector *d = pi_detector_new(&o, err, sizeof err);
 *   pi_result r; pi_scan_text(d, text, len, PI_SOURCE_USER, &r);   // r.score, r.families, r.detected
 *   pi_detector_free(d);
 *
 * A detector is immutable after pi_detector_new: any number of threads may scan with it at once.
 */
#ifndef PI_DETECTOR_H
#define PI_DETECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "pi_rules.h" /* PI_FAM_* */

typedef struct pi_options {
    double threshold;              /* score at or above which a request is an injection; 0..1 */
    int decode_base64;             /* scan decoded base64 payloads */
    int decode_hex;                /* scan decoded hex payloads */
    unsigned max_decode_depth;     /* payloads inside payloads, at most this deep (0..4) */
    int normalize_unicode;         /* NFKC-style folding of fullwidth / mathematical / accented letters */
    int detect_homoglyphs;         /* fold Cyrillic / Greek look-alikes to Latin */
    int detect_chat_template_tokens; /* <|im_start|>, [INST], <<SYS>>, </s> ... */
    int detect_role_markers;       /* "system:" / "assistant:" line starts, "END OF USER INPUT" ... */
    double multi_turn_decay;       /* weight kept per later user turn by an earlier message's signals; 0..1 */
    const char *const *attack_patterns; /* extra phrases (see pi_detector_new); copied */
    size_t n_attack_patterns;
    unsigned mode;                 /* PI_MODE_*: which tiers score */
    const char *model_path;        /* a model file (pi_model.h format) instead of the built-in model; copied */
} pi_options;

/* Which tiers score a request (config `mode`). */
#define PI_MODE_RULES 0u /* the phrase rules and automata only */
#define PI_MODE_MODEL 1u /* the learned model only (pi_model.h) */
#define PI_MODE_BOTH 2u  /* both, combined as independent evidence: 1 - (1 - rules) * (1 - model) */

/* The defaults documented in README.md. */
void pi_options_init(pi_options *o);

typedef struct pi_detector pi_detector;

/* Build a detector. attack_patterns are normalised like scanned text; ".*" inside one splits it into
 * parts that must appear in order within 200 characters. NULL on failure with the reason in err
 * (an empty pattern, a pattern over 256 bytes, out of memory). */
pi_detector *pi_detector_new(const pi_options *o, char *err, size_t err_cap);
void pi_detector_free(pi_detector *d);

/* Where a text comes from. */
#define PI_SOURCE_USER 0u /* the user's own words; quoted documents inside it are treated as third-party */
#define PI_SOURCE_TOOL 1u /* third-party content as a whole: tool results, retrieved documents */

typedef struct pi_message {
    const uint8_t *text;
    size_t len;
    uint32_t source; /* PI_SOURCE_* */
    uint32_t turn;   /* parts with equal turn belong to one message; non-decreasing along the array */
} pi_message;

typedef struct pi_result {
    double score;       /* 0..1 */
    uint32_t families;  /* PI_FAM_* bits of the signals behind the score */
    int detected;       /* score >= threshold */
    uint64_t groups[2]; /* which signal groups fired (bit g = group g), for explanations and tests */
    double rule_score;  /* the rules' score (0 in mode model) */
    double model_score; /* the model's probability, highest message, age-discounted (0 in mode rules) */
} pi_result;

/* Scan one text. Returns 0, or -1 when out of memory (then *out is a zero result). */
int pi_scan_text(const pi_detector *d, const uint8_t *text, size_t len, uint32_t source, pi_result *out);
/* Scan a conversation: signals of earlier messages still count, discounted by multi_turn_decay per
 * later user turn, so an attack spread over several turns adds up (PI_FAM_MULTI_TURN is set when no
 * single message would have crossed the threshold). Returns 0 or -1 (out of memory). */
int pi_scan_messages(const pi_detector *d, const pi_message *msgs, size_t n, pi_result *out);

/* The model's logit of one text as the detector scores it (normalised, quoted regions of a user message
 * scored with the retrieved role), without payloads; and the feature stream behind it, for the training
 * tool (train/featurize.c), hashed into 1 << bits buckets (works in every mode). */
double pi_detector_model_logit(const pi_detector *d, const uint8_t *text, size_t len, uint32_t source);
typedef void (*pi_feature_fn)(void *ctx, size_t block, uint32_t bucket, uint32_t role);
int pi_detector_model_features(const pi_detector *d, uint32_t bits, const uint8_t *text, size_t len,
                               uint32_t source, pi_feature_fn fn, void *ctx);
/* The model in use (the built-in one unless model_path was given). */
const struct pi_model *pi_detector_model(const pi_detector *d);

/* Name of signal group g ("ovr.ignore_prior", "jb.dan", ...), or NULL past the last group. */
const char *pi_detector_group_name(const pi_detector *d, unsigned g);
/* Comma-separated names of the groups set in r->groups. Returns the length written (NUL-terminated). */
size_t pi_format_groups(const pi_detector *d, const pi_result *r, char *buf, size_t cap);

/* "instruction_override", "jailbreak", ... for one PI_FAM_* bit; NULL for anything else. */
const char *pi_family_name(uint32_t family_bit);
/* Comma-separated family names in bit order ("instruction_override,jailbreak"). Returns the length
 * written (truncated to cap - 1, always NUL-terminated when cap > 0). */
size_t pi_format_families(uint32_t families, char *buf, size_t cap);

#endif
