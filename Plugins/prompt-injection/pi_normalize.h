/* pi_normalize.h: one pass that turns untrusted UTF-8 into the text the detector matches against.
 *
 * Attackers hide trigger phrases from naive filters with look-alike letters, fullwidth or mathematical
 * alphabets, zero-width characters and case games. Everything downstream (word lookup, Aho-Corasick,
 * base64/hex discovery) works on plain ASCII-ish bytes, so those tricks are undone here, once.
 */
#ifndef PI_NORMALIZE_H
#define PI_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

/* Which foldings to apply (config encoding.normalize_unicode / encoding.detect_homoglyphs). */
typedef struct pi_norm_flags {
    int fold_unicode;   /* NFKC-style folding of fullwidth, mathematical, accented ... letters to ASCII */
    int fold_homoglyphs; /* Cyrillic/Greek/small-capital look-alikes to ASCII */
} pi_norm_flags;

/* The normalised text. `cased` and `lower` have the same length and are byte-aligned: offset i in one is
 * offset i in the other (lower-casing is ASCII-only, so it never changes lengths). Both NUL-terminated.
 *  - invisible characters (zero-width, bidi controls, soft hyphen, variation selectors, invalid UTF-8,
 *    C0 controls other than tab and newline) are removed, combining marks are removed;
 *  - tab becomes a space, CR / U+2028 / U+2029 / U+0085 become '\n'; spaces are NOT collapsed (the
 *    spacing between single letters tells spaced-out words apart, see pi_tokens.c);
 *  - code points the fold table knows become their ASCII text; other non-ASCII code points are copied.
 * `hidden` holds the ASCII text carried by Unicode tag characters (U+E0020..U+E007E), which render as
 * nothing but are read by models ("ASCII smuggling"); NULL when there were none. */
typedef struct pi_norm {
    char *cased;
    char *lower;
    size_t len;
    char *hidden;
    size_t hidden_len;
    /* Hints gathered in the same pass, so later passes can be skipped when they cannot find anything. */
    size_t max_b64_run; /* longest run of base64-alphabet characters */
    size_t max_hex_run; /* longest run of hex digits, spaces and \x , : % */
    int has_specials;   /* the text contains < [ or # (every chat-template token starts with one) */
} pi_norm;

/* Normalise `n` bytes. Returns 0, or -1 when out of memory (then *out holds nothing to free). */
int pi_normalize(const uint8_t *in, size_t n, pi_norm_flags flags, pi_norm *out);
void pi_norm_free(pi_norm *nm);

/* Fold one code point: writes up to 4 bytes to out and returns how many (0 = removed). Exposed for tests. */
size_t pi_fold_codepoint(uint32_t cp, pi_norm_flags flags, char out[4]);

#endif
