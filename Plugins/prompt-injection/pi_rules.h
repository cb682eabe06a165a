/* pi_rules.h: phrase rules over word classes, and the groups their findings are scored in.
 *
 * A rule is a sequence of steps written in a small pattern language (compiled once in create):
 *   {IGNORE|BREAK}   a word in any of these classes (pi_lexicon.c)
 *   word|other       one of these exact words (lower case, no apostrophes)
 *   ^x               x must be the first word of a line;   x:  x must be followed by a colon
 *   x!               x must be written in capitals ("DAN", not the name "Dan")
 *   x.               x must be followed by ':', '.', a line end or the end of the text
 *   ~N               up to N other words may come before the next step (same sentence only)
 *   $                (last) the match must end the clause: punctuation, end of text, "and", "then" ...
 * Rules also carry: a group (findings of one group count once, at the group's highest weight), a family,
 * a weight in 0..1, a scope (anywhere / only inside third-party content), words that may not appear in
 * a gap ("ignore MY previous instructions"), and whether a negation just before cancels the match
 * ("do not reveal your instructions").
 */
#ifndef PI_RULES_H
#define PI_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "pi_lexicon.h"
#include "pi_tokens.h"

/* Signal families (also the bits of pi_result.families). */
#define PI_FAM_INSTRUCTION_OVERRIDE 0x01u
#define PI_FAM_JAILBREAK 0x02u
#define PI_FAM_PROMPT_EXTRACTION 0x04u
#define PI_FAM_FAKE_BOUNDARY 0x08u
#define PI_FAM_INDIRECT 0x10u
#define PI_FAM_CUSTOM_PATTERN 0x20u
#define PI_FAM_ENCODED_PAYLOAD 0x40u
#define PI_FAM_MULTI_TURN 0x80u
#define PI_FAM_CLASSIFIER 0x100u /* the learned model alone reached the threshold (pi_model.h) */
#define PI_FAM_COUNT 9

/* Optional detector features a rule may depend on (config boundaries.*). */
#define PI_FEAT_TEMPLATE_TOKENS 0x01u
#define PI_FEAT_ROLE_MARKERS 0x02u

#define PI_MAX_GROUPS 128

/* Findings of one scanned text: the highest weight seen per group and the families behind it. */
typedef struct pi_hits {
    float w[PI_MAX_GROUPS];
    uint32_t fam[PI_MAX_GROUPS];
} pi_hits;

/* Record a finding: keeps the group's maximum weight, ORs the families. */
void pi_hits_add(pi_hits *h, int group, float weight, uint32_t families);
/* Merge src into dst (max per group), OR-ing extra_families into every family mask taken from src. */
void pi_hits_merge(pi_hits *dst, const pi_hits *src, uint32_t extra_families);

typedef struct pi_rule_set pi_rule_set;

/* Compile the built-in rules that the enabled features allow, interning their words into lx. NULL on
 * failure with a reason in err (a broken built-in rule is a programming error, reported not crashed). */
pi_rule_set *pi_rules_compile(pi_lexicon *lx, uint32_t features, char *err, size_t err_cap);
/* Build the first-word index. Call after every word was interned and pi_lexicon_finish ran. */
int pi_rules_index(pi_rule_set *rs, const pi_lexicon *lx);
void pi_rules_free(pi_rule_set *rs);

/* Group registry shared by word rules, literal patterns and squashed phrases. Returns the group index
 * (creating it), or -1 when PI_MAX_GROUPS is reached. */
int pi_rules_group(pi_rule_set *rs, const char *name, uint32_t family);
size_t pi_rules_group_count(const pi_rule_set *rs);
const char *pi_rules_group_name(const pi_rule_set *rs, int group);

/* Index of the first token inside quoted third-party content (e-mail headers, "document:", "the text
 * below", ...), or n when there is none. */
size_t pi_rules_region_start(const pi_rule_set *rs, const pi_token *t, size_t n);
/* Run every rule over the tokens, recording findings in hits. */
void pi_rules_match(const pi_rule_set *rs, const pi_token *t, size_t n, pi_hits *hits);

#endif
