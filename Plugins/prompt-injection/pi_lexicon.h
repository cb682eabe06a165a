/* pi_lexicon.h: the detector's vocabulary. Each known word has an id and a set of word classes
 * (IGNORE, PRIOR, INSTR, ...) that the phrase rules (pi_rules.c) are written in.
 *
 * Why word classes rather than trigger words: "ignore" alone is an ordinary word ("how do I ignore
 * whitespace in git diff"); an attack is a verb of the IGNORE class whose object is the model's
 * instructions. Classes let one rule cover "ignore/disregard/forget ... previous/prior/above ...
 * instructions/rules/directions" without listing every combination.
 */
#ifndef PI_LEXICON_H
#define PI_LEXICON_H

#include <stddef.h>
#include <stdint.h>

#define PI_MAX_WORD 32 /* longer words are never looked up (no vocabulary word is that long) */

typedef struct pi_word {
    uint32_t id;        /* >= 1 */
    uint64_t cls;       /* class bits, see pi_lexicon_class_bit */
    uint32_t expand[2]; /* a contraction's two words ("youre" -> you, are); 0 when not a contraction */
} pi_word;

typedef struct pi_lexicon pi_lexicon;

/* A lexicon holding the built-in classes and contractions. NULL when out of memory. */
pi_lexicon *pi_lexicon_new(void);
void pi_lexicon_free(pi_lexicon *lx);
/* Bit index of a class name ("IGNORE"), or -1. */
int pi_lexicon_class_bit(const char *name);
/* Id of word w (adding it without classes if new); 0 when out of memory or too long. Create time only. */
uint32_t pi_lexicon_intern(pi_lexicon *lx, const char *w, size_t n);
/* The entry for w, or NULL. Read-only: safe from many threads at once. */
const pi_word *pi_lexicon_find(const pi_lexicon *lx, const char *w, size_t n);
/* One more than the largest id. */
uint32_t pi_lexicon_id_limit(const pi_lexicon *lx);
/* Freeze: build the id -> classes index used by pi_lexicon_cls. Call after the last intern. 0 or -1. */
int pi_lexicon_finish(pi_lexicon *lx);
/* Classes of the word with this id (0 for unknown ids). */
uint64_t pi_lexicon_cls(const pi_lexicon *lx, uint32_t id);

#endif
