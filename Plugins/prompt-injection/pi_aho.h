/* pi_aho.h: an Aho-Corasick automaton over bytes, built once in create and read-only afterwards.
 *
 * Used for the literal patterns the word rules cannot express: chat-template tokens full of
 * punctuation ("<|im_start|>"), operator-supplied attack_patterns, and the squashed phrase list that
 * catches "i_g_n_o_r_e" style spellings. One pass over the text finds every pattern at once, so the
 * cost does not grow with the number of patterns.
 */
#ifndef PI_AHO_H
#define PI_AHO_H

#include <stddef.h>
#include <stdint.h>

typedef struct pi_aho pi_aho;

/* A match: the pattern's value, where it starts and ends (exclusive) in the scanned text. */
typedef void (*pi_aho_match_fn)(void *ctx, uint32_t value, size_t start, size_t end);

pi_aho *pi_aho_new(void);
void pi_aho_free(pi_aho *a);
/* Add a pattern (1..256 bytes; copied) before pi_aho_build. Returns 0, or -1 (out of memory / bad length). */
int pi_aho_add(pi_aho *a, const char *pat, size_t len, uint32_t value);
/* Build the automaton (a full transition table). Returns 0 or -1 (out of memory). */
int pi_aho_build(pi_aho *a);
/* Number of patterns added. */
size_t pi_aho_count(const pi_aho *a);
/* How the text is fed to the automaton. */
#define PI_AHO_FEED_RAW 0      /* every byte as it is */
#define PI_AHO_FEED_COLLAPSE 1 /* each run of spaces and newlines as one space (patterns use single spaces) */
#define PI_AHO_FEED_MAP 2      /* each byte through `map`; bytes mapping to 0 are skipped */

/* Report every occurrence of every pattern in text; offsets always point into the original text.
 * Reentrant: the automaton is not modified. */
void pi_aho_scan(const pi_aho *a, const char *text, size_t n, int feed, const char map[256], pi_aho_match_fn fn,
                 void *ctx);

#endif
