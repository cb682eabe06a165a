/* pi_tokens.h: split normalised text into looked-up words with the structure the rules need
 * (line starts, sentence breaks, a colon after a word, capitals). */
#ifndef PI_TOKENS_H
#define PI_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "pi_lexicon.h"

#define PI_TOK_LINE_START 0x01u  /* first word of its line */
#define PI_TOK_COLON 0x02u       /* followed by ':' (after optional spaces) */
#define PI_TOK_BREAK 0x04u       /* a sentence break (. ! ? ; or newline) lies before it */
#define PI_TOK_UPPER 0x08u       /* written in capitals (two or more letters) */
#define PI_TOK_UNTRUSTED 0x10u   /* inside quoted third-party content (set by the detector) */
#define PI_TOK_PUNCT_AFTER 0x20u /* followed by punctuation, a line end or the end of the text */
#define PI_TOK_SPACED 0x40u      /* merged from spaced-out letters ("i g n o r e") */
#define PI_TOK_STOP_AFTER 0x80u  /* followed by ':', '.', a line end or the end of the text */

typedef struct pi_token {
    uint32_t start, end; /* byte span in the normalised text */
    uint32_t id;         /* lexicon id; 0 = not in the vocabulary */
    uint32_t flags;      /* PI_TOK_* */
    uint64_t cls;        /* lexicon classes */
} pi_token;

typedef struct pi_tokens {
    pi_token *v;
    size_t n, cap;
} pi_tokens;

/* Tokenise `len` bytes of `lower` (with the byte-aligned `cased` for capitals), in one pass.
 *  - A word that is not in the vocabulary but mixes letters with 0 1 3 4 5 7 @ $ is read as leetspeak
 *    (o i/l e a s t a s): "1gn0r3" is "ignore". '@' and '$' are word characters next to a letter.
 *  - Single letters one separator apart ("i g n o r e", "i.g.n.o.r.e", "i-g-n-o-r-e") form one word.
 *  - Contractions become their two words ("you're" -> you, are).
 * Returns 0 or -1 (out of memory). */
int pi_tokenize(const pi_lexicon *lx, const char *lower, const char *cased, size_t len, pi_tokens *out);
void pi_tokens_free(pi_tokens *t);

#endif
