/* pi_fold_table.h: the generated code-point folding table (see tools/gen_fold_table.py). */
#ifndef PI_FOLD_TABLE_H
#define PI_FOLD_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* One folding: code point `cp` reads as the ASCII text `to` (NUL-terminated, at most 3 characters and
 * never longer than cp's UTF-8 encoding). An empty `to` means the code point is invisible and removed.
 * `homoglyph` is 1 for look-alike foldings (Cyrillic/Greek letters ...) that NFKC itself does not make. */
typedef struct pi_fold_entry {
    uint32_t cp;
    char to[4];
    uint8_t homoglyph;
} pi_fold_entry;

/* Sorted by cp, for binary search. */
extern const pi_fold_entry pi_fold_table[];
extern const size_t pi_fold_table_len;

#endif
