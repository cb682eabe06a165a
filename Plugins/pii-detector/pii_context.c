/*
 * pii_context.c: context words. Shapes that are ambiguous on their own (a bare 9-digit number, "78 651 450")
 * only count as personal data when a word nearby says what they are. The lists are deliberately generic
 * (what people write next to such numbers), not tuned to any test sentence.
 */
#include "pii_internal.h"

/* Words that make a nearby digit group a phone number. Matched as word prefixes: "tel" also covers
 * "telephone", "telefon"; "call" covers "calling", "caller"; "messag" covers "message(s)". An entry ending
 * in '=' must be the whole word ("id=" matches "ID" and "id:" but not "idea"). */
const char *const pii_ctx_phone[] = {
    "phone", "tel", "mobil", "mob", "cell", "fax", "call", "dial", "reach", "contact", "sms", "text me",
    "texting", "whatsapp", "desk", "landline", "hotline", "messag", "answer", "voicemail",
    "ring me", "ring=", "text=", "extension", NULL,
};

/* Words that label the number right after it ("416 60 039 office", "555-0132 (mobile)"). */
const char *const pii_ctx_phone_after[] = {
    "office", "fax", "mobil", "cell", "home", "work", "phone", "tel", "landline", "direct", NULL,
};

/* "number" alone says little ("order number"): it only counts when no negative word is nearer. */
const char *const pii_ctx_phone_weak[] = {
    "number", "num=", "no.", "nr=", NULL,
};

/* Words that say a digit group is NOT a phone number. */
const char *const pii_ctx_not_phone[] = {
    "order", "invoice", "account", "acct", "ref", "tracking", "ticket", "case", "serial", "customer",
    "member", "policy", "transaction", "confirmation", "booking", "id=", "card", "iban", "routing", "zip",
    "postal", "postcode", "isbn", "passport", "licen", "vat=", "tax", "sku", "model", "part=", "item",
    "po=", "version", "build", "price", "total", "amount", "usd=", "eur=", "ssn", "social security", "address",
    "street", "suite", "apt", NULL,
};

/* Words that make a bare 9-digit number a US social security number. */
const char *const pii_ctx_ssn[] = {
    "ssn", "ss#", "ss #", "ss no", "social security", "soc sec", "social sec", NULL,
};

/* Words that make a 12-digit Maestro-range number a card number. */
const char *const pii_ctx_card[] = {
    "card", "credit", "debit", "visa", "mastercard", "maestro", "amex", "cc=", "pan=", "pay", "charge", "paid",
    NULL,
};

/* Words right after a card number ("4111... exp 09/27"). */
const char *const pii_ctx_card_after[] = {
    "exp", "cvv", "cvc", "valid", NULL,
};

/* Words before a dotted quad that make it a version number, not an address. */
const char *const pii_ctx_version[] = {
    "version", "ver=", "ver.", "release", "build", "firmware", "v=", NULL,
};

/* Length of the list entry `word` matched at t[w] (0 when it does not match). */
static size_t entry_match(const char *t, size_t len, size_t w, const char *word) {
    size_t i = 0;
    for (; word[i] != '\0' && word[i] != '='; i++) {
        if (w + i >= len || pii_lower((unsigned char)t[w + i]) != (unsigned char)word[i]) return 0;
    }
    if (word[i] == '=' && w + i < len && pii_is_alpha((unsigned char)t[w + i])) return 0;
    return i;
}

static size_t word_at(const char *t, size_t len, size_t w, const char *const *words) {
    char c0 = (char)pii_lower((unsigned char)t[w]);
    for (size_t k = 0; words[k] != NULL; k++) {
        if (words[k][0] != c0) continue;
        size_t n = entry_match(t, len, w, words[k]);
        if (n > 0) return n;
    }
    return 0;
}

/* Start of the sentence that contains `anchor`, not before lo: after the last ". X", "! X", "? X" (X an
 * upper-case letter; "Tel. 555" and "Apt. 4" do not end a sentence) or blank line. Context from another
 * sentence says nothing about this number. */
static size_t sentence_start(const char *t, size_t lo, size_t anchor) {
    for (size_t q = anchor; q > lo + 1; q--) {
        unsigned char c = (unsigned char)t[q - 1], p = (unsigned char)t[q - 2];
        if (pii_is_upper(c) && q >= lo + 3 && (p == ' ' || p == '\n')) {
            unsigned char e = (unsigned char)t[q - 3];
            if (e == '.' || e == '!' || e == '?') return q - 1;
        }
        if (c == '\n' && p == '\n') return q;
    }
    return lo;
}

pii_context_hit pii_context_before(const char *t, size_t anchor, size_t window, const char *const *words) {
    pii_context_hit hit = {0, 0};
    size_t lo = anchor > window ? anchor - window : 0;
    lo = sentence_start(t, lo, anchor);
    for (size_t w = lo; w < anchor; w++) {
        unsigned char c = (unsigned char)t[w];
        if (!pii_is_alpha(c)) continue;
        if (w > 0 && pii_is_alnum((unsigned char)t[w - 1])) continue; /* not a word start */
        size_t n = word_at(t, anchor, w, words);
        if (n > 0) {
            size_t wend = w + n;
            hit.found = 1;
            hit.distance = anchor > wend ? anchor - wend : 0; /* later words overwrite: nearest wins */
        }
    }
    return hit;
}

int pii_context_after(const char *t, size_t len, size_t anchor, size_t window, const char *const *words) {
    size_t hi = anchor + window < len ? anchor + window : len;
    size_t w = anchor;
    /* Skip the separators that sit between a number and its label: spaces, '-', '(', '\', ','. */
    while (w < hi) {
        unsigned char c = (unsigned char)t[w];
        if (c == ' ' || c == '\t' || c == '-' || c == '(' || c == '\\' || c == ',' || c == '/') {
            w++;
            continue;
        }
        break;
    }
    if (w >= hi || !pii_is_alpha((unsigned char)t[w])) return 0;
    return word_at(t, len, w, words) > 0;
}
