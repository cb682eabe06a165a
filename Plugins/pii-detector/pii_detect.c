/*
 * pii_detect.c: the scan driver. One pass over the bytes; at each position where an entity can begin
 * (a trigger byte at a word boundary) the matching scanners run. Their candidates are then resolved into
 * non-overlapping matches: the more specific type wins (a private key over the base64 inside it, an
 * e-mail over the digits in it, a card over a phone-shaped digit run), then the longer span.
 */
#include <stdlib.h>
#include <string.h>

#include "pii_internal.h"

static const char *const builtin_names[PII_BUILTIN_COUNT] = {
    "EMAIL_ADDRESS", "PHONE_NUMBER",   "CREDIT_CARD",       "IBAN_CODE",             "US_SSN",
    "IP_ADDRESS",    "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AWS_ACCESS_KEY_ID",     "AWS_SECRET_ACCESS_KEY",
    "GITHUB_TOKEN",  "SLACK_TOKEN",    "GOOGLE_API_KEY",    "JWT",                   "PRIVATE_KEY",
};

const char *pii_type_name(const pii_config *cfg, uint32_t type) {
    if (type < PII_BUILTIN_COUNT) return builtin_names[type];
    if (cfg != NULL && type >= PII_TYPE_CUSTOM_BASE && type - PII_TYPE_CUSTOM_BASE < cfg->pattern_count) {
        return cfg->patterns[type - PII_TYPE_CUSTOM_BASE].name;
    }
    return "UNKNOWN";
}

int pii_builtin_type_from_name(const char *name, size_t len) {
    for (uint32_t t = 0; t < PII_BUILTIN_COUNT; t++) {
        if (strlen(builtin_names[t]) == len && memcmp(builtin_names[t], name, len) == 0) return (int)t;
    }
    return -1;
}

/* Overlap precedence: higher wins. */
static int priority(uint32_t type) {
    switch (type) {
    case PII_PRIVATE_KEY: return 100;
    case PII_JWT: return 90;
    case PII_OPENAI_API_KEY:
    case PII_ANTHROPIC_API_KEY:
    case PII_GITHUB_TOKEN:
    case PII_SLACK_TOKEN:
    case PII_GOOGLE_API_KEY:
    case PII_AWS_ACCESS_KEY_ID:
    case PII_AWS_SECRET_ACCESS_KEY: return 85;
    case PII_EMAIL_ADDRESS: return 70;
    case PII_IBAN_CODE: return 65;
    case PII_CREDIT_CARD: return 60;
    case PII_US_SSN: return 55;
    case PII_IP_ADDRESS: return 50;
    case PII_PHONE_NUMBER: return 40;
    default: return 80; /* custom patterns: the operator asked for them explicitly */
    }
}

void pii_cands_add(pii_cands *c, size_t start, size_t end, uint32_t type, uint32_t flags) {
    if (end <= start) return;
    if (c->n == c->cap) {
        size_t cap = c->cap * 2;
        pii_match *v;
        if (c->v == c->inline_v) {
            v = malloc(cap * sizeof *v);
            if (v != NULL) memcpy(v, c->v, c->n * sizeof *v);
        } else {
            v = realloc(c->v, cap * sizeof *v);
        }
        if (v == NULL) {
            c->oom = 1;
            return;
        }
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = (pii_match){start, end, type, flags};
}

static int by_rank(const void *a, const void *b) {
    const pii_match *x = a, *y = b;
    int px = priority(x->type), py = priority(y->type);
    if (px != py) return py - px;
    size_t lx = x->end - x->start, ly = y->end - y->start;
    if (lx != ly) return lx > ly ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return 0;
}

static int by_start(const void *a, const void *b) {
    const pii_match *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return 0;
}

static int by_start_then_longer(const void *a, const void *b) {
    const pii_match *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->end != y->end) return x->end > y->end ? -1 : 1;
    return 0;
}

/* Keeps the best candidates that do not overlap a better one; leaves them sorted by start in c->v[0..n).
 * Candidates are split into clusters of transitively overlapping spans (almost always a single span), and
 * only inside a cluster are they ranked, so the cost stays O(n log n) for texts full of findings. */
static void resolve(pii_cands *c) {
    if (c->n < 2) return;
    qsort(c->v, c->n, sizeof *c->v, by_start_then_longer);
    size_t kept = 0, i = 0;
    while (i < c->n) {
        size_t j = i + 1, maxend = c->v[i].end;
        while (j < c->n && c->v[j].start < maxend) {
            if (c->v[j].end > maxend) maxend = c->v[j].end;
            j++;
        }
        if (j - i == 1) {
            c->v[kept++] = c->v[i];
        } else {
            /* Greedy by rank inside the cluster. Writes go to v[kept + m] with kept + m <= the index being
             * read, so nothing unread is overwritten. */
            qsort(c->v + i, j - i, sizeof *c->v, by_rank);
            size_t first = kept;
            for (size_t r = i; r < j; r++) {
                pii_match m = c->v[r];
                int clash = 0;
                for (size_t k = first; k < kept; k++) {
                    if (m.start < c->v[k].end && c->v[k].start < m.end) {
                        clash = 1;
                        break;
                    }
                }
                if (!clash) c->v[kept++] = m;
            }
            qsort(c->v + first, kept - first, sizeof *c->v, by_start);
        }
        i = j;
    }
    c->n = kept;
}

/* Bytes that can begin a custom pattern, so the driver tries patterns only where one could match. */
static int pattern_may_start(const pii_config *cfg, unsigned char c) {
    for (size_t k = 0; k < cfg->pattern_count; k++) {
        const pii_pattern *p = &cfg->patterns[k];
        switch (p->kind[0]) {
        case PII_PAT_DIGIT:
            if (pii_is_digit(c)) return 1;
            break;
        case PII_PAT_UPPER:
            if (pii_is_upper(c)) return 1;
            break;
        case PII_PAT_ALNUM:
            if (pii_is_alnum(c)) return 1;
            break;
        default:
            if (p->lit[0] == c) return 1;
            break;
        }
    }
    return 0;
}

/* AWS secret keys are only reported within 80 bytes after the word "secret" (see pii_scan_aws_secret), so
 * that scanner runs only inside such windows instead of at every word. Occurrences are found lazily, in
 * step with the scan position. */
typedef struct secret_windows {
    size_t start; /* where the first search begins */
    size_t pos;   /* the next occurrence not yet turned into a window (len: none) */
    size_t until; /* end of the current window */
    int ready;
} secret_windows;

static size_t find_secret(const char *t, size_t len, size_t from) {
    for (size_t q = from; q + 6 <= len; q++) {
        if ((t[q] | 0x20) == 's' && pii_has_prefix_ci(t, len, q + 1, "ecret")) return q;
    }
    return len;
}

static int in_secret_window(secret_windows *w, const char *t, size_t len, size_t i) {
    if (!w->ready) {
        w->pos = find_secret(t, len, w->start);
        w->ready = 1;
    }
    while (w->pos < i) {
        w->until = w->pos + 6 + 80;
        w->pos = find_secret(t, len, w->pos + 1);
    }
    return i < w->until;
}

void pii_cands_init(pii_cands *c) {
    c->v = c->inline_v;
    c->n = 0;
    c->cap = sizeof c->inline_v / sizeof c->inline_v[0];
    c->oom = 0;
}

void pii_cands_free(pii_cands *c) {
    if (c->v != c->inline_v) free(c->v);
    c->v = c->inline_v;
    c->n = 0;
}

void pii_collect(const pii_config *cfg, const char *text, size_t len, size_t from, pii_cands *out) {
    pii_scan_ctx s = {text, len, from, cfg};
    const uint32_t numeric = PII_TYPE_BIT(PII_PHONE_NUMBER) | PII_TYPE_BIT(PII_CREDIT_CARD) |
                             PII_TYPE_BIT(PII_US_SSN) | PII_TYPE_BIT(PII_IP_ADDRESS);
    const uint32_t lettered = PII_SECRET_TYPES | PII_TYPE_BIT(PII_IBAN_CODE) | PII_TYPE_BIT(PII_IP_ADDRESS);
    int aws_enabled = pii_enabled(&s, PII_AWS_SECRET_ACCESS_KEY);
    secret_windows sw = {from > 90 ? from - 90 : 0, 0, 0, 0};
    unsigned char custom_start[256], in_word[256];
    memset(custom_start, 0, sizeof custom_start);
    for (int b = 0; b < 256; b++) {
        if (cfg->pattern_count > 0) custom_start[b] = (unsigned char)pattern_may_start(cfg, (unsigned char)b);
        in_word[b] = (unsigned char)(pii_is_word((unsigned char)b) && !custom_start[b]);
    }

    for (size_t i = from; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (custom_start[ch]) pii_scan_patterns(&s, i, out);
        if (ch == ' ' || ch == '\n') continue;
        if (ch == '@') {
            if (pii_enabled(&s, PII_EMAIL_ADDRESS)) pii_scan_email(&s, i, out);
            continue;
        }
        if (!pii_word_start(text, i)) continue;
        if (pii_is_digit(ch)) {
            if (cfg->types & numeric) {
                if (pii_enabled(&s, PII_IP_ADDRESS)) {
                    pii_scan_ipv4(&s, i, out);
                    pii_scan_ipv6(&s, i, out);
                }
                if (pii_enabled(&s, PII_CREDIT_CARD)) pii_scan_card(&s, i, out);
                if (pii_enabled(&s, PII_US_SSN)) pii_scan_ssn(&s, i, out);
                if (pii_enabled(&s, PII_PHONE_NUMBER)) pii_scan_phone(&s, i, out);
            }
            if (aws_enabled && in_secret_window(&sw, text, len, i)) pii_scan_aws_secret(&s, i, out);
        } else if (pii_is_alpha(ch)) {
            if (cfg->types & lettered) {
                if (pii_enabled(&s, PII_IBAN_CODE)) pii_scan_iban(&s, i, out);
                if (pii_enabled(&s, PII_IP_ADDRESS) && pii_is_hex(ch)) pii_scan_ipv6(&s, i, out);
                if (cfg->types & PII_SECRET_TYPES) pii_scan_secret(&s, i, out);
                if (aws_enabled && in_secret_window(&sw, text, len, i)) pii_scan_aws_secret(&s, i, out);
            }
        } else if (ch == '+' || ch == '(') {
            if (pii_enabled(&s, PII_PHONE_NUMBER)) pii_scan_phone(&s, i, out);
        } else if (ch == ':') {
            if (pii_enabled(&s, PII_IP_ADDRESS)) pii_scan_ipv6(&s, i, out);
        } else if (ch == '-') {
            if (pii_enabled(&s, PII_PRIVATE_KEY)) pii_scan_private_key(&s, i, out);
        } else if (ch == '/') {
            if (aws_enabled && in_secret_window(&sw, text, len, i)) pii_scan_aws_secret(&s, i, out);
        }
        /* No entity starts inside a word: skip to its end (custom patterns that may start there excepted). */
        if (pii_is_word(ch)) {
            while (i + 1 < len && in_word[(unsigned char)text[i + 1]]) i++;
        }
    }

}

size_t pii_scan_from(const pii_config *cfg, const char *text, size_t len, size_t from, pii_match *out,
                     size_t cap) {
    pii_cands c;
    pii_cands_init(&c);
    pii_collect(cfg, text, len, from, &c);
    if (c.oom) {
        pii_cands_free(&c);
        return PII_SCAN_ERROR;
    }
    /* Candidates that reach back into the left context (an e-mail whose local part was already released)
     * are clipped: the released part cannot be taken back, the rest is still redacted. */
    for (size_t k = 0; k < c.n; k++) {
        if (c.v[k].start < from) c.v[k].start = from;
    }
    resolve(&c);
    size_t n = c.n;
    if (out != NULL) memcpy(out, c.v, (n < cap ? n : cap) * sizeof *out);
    pii_cands_free(&c);
    return n;
}

size_t pii_scan(const pii_config *cfg, const char *text, size_t len, pii_match *out, size_t cap) {
    return pii_scan_from(cfg, text, len, 0, out, cap);
}
