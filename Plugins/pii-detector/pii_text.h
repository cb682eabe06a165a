/*
 * pii_text.h: ASCII character classes shared by the scanners.
 *
 * Every scanner works on bytes. Bytes >= 0x80 (UTF-8 lead and continuation bytes) are never part of an
 * entity and count as boundaries, so "é4111..." still lets a card number start at '4'.
 */
#ifndef PII_TEXT_H
#define PII_TEXT_H

#include <stddef.h>

static inline int pii_is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int pii_is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static inline int pii_is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
static inline int pii_is_alpha(unsigned char c) { return pii_is_upper(c) || pii_is_lower(c); }
static inline int pii_is_alnum(unsigned char c) { return pii_is_digit(c) || pii_is_alpha(c); }
/* A "word" byte: what a \b in a regex would treat as part of a word (ASCII only). */
static inline int pii_is_word(unsigned char c) { return pii_is_alnum(c) || c == '_'; }
static inline int pii_is_hex(unsigned char c) {
    return pii_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static inline int pii_is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
static inline unsigned char pii_lower(unsigned char c) { return pii_is_upper(c) ? (unsigned char)(c + 32) : c; }
static inline unsigned char pii_upper(unsigned char c) { return pii_is_lower(c) ? (unsigned char)(c - 32) : c; }

/* 1 when text[at..] starts with the NUL-terminated ASCII `lit` (case-sensitive). */
static inline int pii_has_prefix(const char *text, size_t len, size_t at, const char *lit) {
    size_t i = 0;
    for (; lit[i] != '\0'; i++) {
        if (at + i >= len || text[at + i] != lit[i]) return 0;
    }
    return 1;
}

/* Same, ignoring ASCII case of the text (`lit` must be lowercase). */
static inline int pii_has_prefix_ci(const char *text, size_t len, size_t at, const char *lit) {
    size_t i = 0;
    for (; lit[i] != '\0'; i++) {
        if (at + i >= len || pii_lower((unsigned char)text[at + i]) != (unsigned char)lit[i]) return 0;
    }
    return 1;
}

#endif /* PII_TEXT_H */
