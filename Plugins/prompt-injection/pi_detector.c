/* pi_detector.c: builds the matchers once, then scans text: normalise, tokenise, run the phrase rules
 * (plain and leetspeak readings), the literal automata (template tokens, attack_patterns, squashed
 * phrases), and recurse into decoded payloads. */
#include "pi_detector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pi_aho.h"
#include "pi_decode.h"
#include "pi_lexicon.h"
#include "pi_model.h"
#include "pi_normalize.h"
#include "pi_rules.h"
#include "pi_rules_builtin.h"
#include "pi_tokens.h"

#define MAX_PATTERN_BYTES 256
#define MAX_PIECES 8
#define PIECE_WINDOW 200            /* characters allowed between the parts of a ".*" pattern */
#define DECODE_BUDGET (256u * 1024) /* decoded bytes scanned per top-level call, at most */
#define MAX_DEPTH_HARD 6            /* payload recursion bound, whatever the config says */
#define CUSTOM_WEIGHT 1.0f          /* an operator-listed phrase is a finding on its own */
#define SQUASHED_CUSTOM_MIN 12      /* shorter patterns would match across word boundaries by chance */

/* Values in the literal automaton: template index, or custom piece index with this bit set. */
#define LIT_CUSTOM 0x10000u
/* Values in the squashed automaton: built-in index, or custom pattern index with this bit set. */
#define SQ_CUSTOM 0x10000u

typedef struct custom_pattern {
    size_t first_piece; /* index into piece tables */
    size_t npieces;
} custom_pattern;

struct pi_detector {
    pi_options opt;
    pi_norm_flags norm;
    pi_lexicon *lex;
    pi_rule_set *rules;
    pi_aho *literals; /* templates + custom pieces, over the lower-cased text; NULL when empty */
    pi_aho *squashed; /* squashed phrases, over the letters-only text */
    int template_group[64];
    int template_role_group;
    int squashed_group[64];
    int custom_group;
    custom_pattern *customs;
    size_t ncustoms;
    /* Per piece: its pattern, its position in it, and whether its ends must sit on word boundaries. */
    uint32_t *piece_pattern;
    uint8_t *piece_index;
    uint8_t *piece_bound_start, *piece_bound_end;
    size_t npieces;
    const pi_model *model; /* NULL in mode rules */
};

static const char *const FAMILY_NAMES[PI_FAM_COUNT] = {
    "instruction_override", "jailbreak", "prompt_extraction", "fake_boundary",
    "indirect_injection",   "custom_pattern", "encoded_payload", "multi_turn",
    "classifier",
};

const char *pi_family_name(uint32_t bit) {
    for (int i = 0; i < PI_FAM_COUNT; i++) {
        if (bit == (1u << i)) return FAMILY_NAMES[i];
    }
    return NULL;
}

size_t pi_format_families(uint32_t families, char *buf, size_t cap) {
    size_t w = 0;
    if (cap == 0) return 0;
    buf[0] = '\0';
    for (int i = 0; i < PI_FAM_COUNT; i++) {
        if (!(families & (1u << i))) continue;
        int n = snprintf(buf + w, cap - w, "%s%s", w ? "," : "", FAMILY_NAMES[i]);
        if (n < 0 || (size_t)n >= cap - w) {
            buf[cap - 1] = '\0';
            return cap - 1;
        }
        w += (size_t)n;
    }
    return w;
}

void pi_options_init(pi_options *o) {
    memset(o, 0, sizeof(*o));
    o->threshold = 0.5;
    o->decode_base64 = 1;
    o->decode_hex = 1;
    o->max_decode_depth = 2;
    o->normalize_unicode = 1;
    o->detect_homoglyphs = 1;
    o->detect_chat_template_tokens = 1;
    o->detect_role_markers = 1;
    o->multi_turn_decay = 0.7;
    o->mode = PI_MODE_RULES;
}

/* ---------------------------------------------------------------------------------------------------
 * The letters-only ("squashed") view: separators, spaces and punctuation vanish, leetspeak digits read
 * as letters, and i / l / 1 / | are one letter (their confusion is the point of many spellings).
 * ------------------------------------------------------------------------------------------------- */
static char squash_char(unsigned char c) {
    if (c >= 'a' && c <= 'z') return c == 'l' ? 'i' : (char)c;
    switch (c) {
    case '0': return 'o';
    case '1': return 'i';
    case '3': return 'e';
    case '4': return 'a';
    case '5': return 's';
    case '7': return 't';
    case '@': return 'a';
    case '$': return 's';
    case '|': return 'i';
    default: return 0;
    }
}

static size_t squash(const char *in, size_t n, char *out) {
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        char c = squash_char((unsigned char)in[i]);
        if (c) out[w++] = c;
    }
    return w;
}

/* squash_char as a table, for the automaton's mapped feed (const: shared by all threads). */
static const char SQUASH_MAP[256] = {
    ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f', ['g'] = 'g', ['h'] = 'h',
    ['i'] = 'i', ['j'] = 'j', ['k'] = 'k', ['l'] = 'i', ['m'] = 'm', ['n'] = 'n', ['o'] = 'o', ['p'] = 'p',
    ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't', ['u'] = 'u', ['v'] = 'v', ['w'] = 'w', ['x'] = 'x',
    ['y'] = 'y', ['z'] = 'z', ['0'] = 'o', ['1'] = 'i', ['3'] = 'e', ['4'] = 'a', ['5'] = 's', ['7'] = 't',
    ['@'] = 'a', ['$'] = 's', ['|'] = 'i',
};

/* Normalise a config phrase the way text is normalised: folded, lower-cased, whitespace runs as one
 * space, trimmed. Returns the length, or (size_t)-1 when out of memory. */
static size_t normalise_phrase(const pi_detector *d, const char *s, size_t n, char *out, size_t cap) {
    pi_norm nm;
    if (pi_normalize((const uint8_t *)s, n, d->norm, &nm) != 0) return (size_t)-1;
    size_t w = 0;
    int pending_space = 0;
    for (size_t i = 0; i < nm.len && w + 1 < cap; i++) {
        char c = nm.lower[i];
        if (c == ' ' || c == '\n') {
            pending_space = w > 0;
            continue;
        }
        if (pending_space && w + 2 < cap) out[w++] = ' ';
        pending_space = 0;
        out[w++] = c;
    }
    pi_norm_free(&nm);
    return w;
}

static int is_alnum(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80; }

static int add_custom_pattern(pi_detector *d, const char *pat, size_t idx, char *err, size_t cap) {
    size_t n = strlen(pat);
    if (n == 0 || n > MAX_PATTERN_BYTES) {
        snprintf(err, cap, "attack_patterns[%zu]: must be 1..%d bytes", idx, MAX_PATTERN_BYTES);
        return -1;
    }
    custom_pattern *cp = &d->customs[d->ncustoms];
    cp->first_piece = d->npieces;
    cp->npieces = 0;
    const char *p = pat, *end = pat + n;
    while (p <= end) {
        const char *q = strstr(p, ".*");
        if (q == NULL || q > end) q = end;
        char piece[MAX_PATTERN_BYTES + 1];
        size_t len = normalise_phrase(d, p, (size_t)(q - p), piece, sizeof(piece));
        if (len == (size_t)-1) {
            snprintf(err, cap, "out of memory");
            return -1;
        }
        if (len > 0) {
            if (cp->npieces == MAX_PIECES) {
                snprintf(err, cap, "attack_patterns[%zu]: at most %d parts separated by .*", idx, MAX_PIECES);
                return -1;
            }
            size_t pi = d->npieces++;
            d->piece_pattern[pi] = (uint32_t)d->ncustoms;
            d->piece_index[pi] = (uint8_t)cp->npieces++;
            d->piece_bound_start[pi] = is_alnum((unsigned char)piece[0]);
            d->piece_bound_end[pi] = is_alnum((unsigned char)piece[len - 1]);
            if (pi_aho_add(d->literals, piece, len, LIT_CUSTOM | (uint32_t)pi) != 0) {
                snprintf(err, cap, "out of memory");
                return -1;
            }
            /* One-part patterns also match spaced-out / leetspeak spellings through the squashed view. */
            if (q == end && cp->npieces == 1 && p == pat) {
                char sq[MAX_PATTERN_BYTES + 1];
                size_t sl = squash(piece, len, sq);
                if (sl >= SQUASHED_CUSTOM_MIN && pi_aho_add(d->squashed, sq, sl, SQ_CUSTOM | (uint32_t)d->ncustoms) != 0) {
                    snprintf(err, cap, "out of memory");
                    return -1;
                }
            }
        }
        if (q == end) break;
        p = q + 2;
    }
    if (cp->npieces == 0) {
        snprintf(err, cap, "attack_patterns[%zu]: is empty after normalisation", idx);
        return -1;
    }
    d->ncustoms++;
    return 0;
}

pi_detector *pi_detector_new(const pi_options *o, char *err, size_t cap) {
    pi_detector *d = calloc(1, sizeof(pi_detector));
    if (d == NULL) goto oom;
    d->opt = *o;
    d->opt.attack_patterns = NULL;
    d->opt.n_attack_patterns = 0;
    d->opt.model_path = NULL;
    if (o->mode != PI_MODE_RULES) {
        if (o->model_path != NULL) {
            d->model = pi_model_load(o->model_path, err, cap);
            if (d->model == NULL) goto fail;
        } else {
            d->model = pi_model_builtin();
        }
    }
    if (d->opt.max_decode_depth > MAX_DEPTH_HARD) d->opt.max_decode_depth = MAX_DEPTH_HARD;
    d->norm.fold_unicode = o->normalize_unicode;
    d->norm.fold_homoglyphs = o->detect_homoglyphs;
    uint32_t features = (o->detect_chat_template_tokens ? PI_FEAT_TEMPLATE_TOKENS : 0) |
                        (o->detect_role_markers ? PI_FEAT_ROLE_MARKERS : 0);
    d->lex = pi_lexicon_new();
    if (d->lex == NULL) goto oom;
    d->rules = pi_rules_compile(d->lex, features, err, cap);
    if (d->rules == NULL) goto fail;
    if (pi_lexicon_finish(d->lex) != 0 || pi_rules_index(d->rules, d->lex) != 0) goto oom;

    d->literals = pi_aho_new();
    d->squashed = pi_aho_new();
    if (d->literals == NULL || d->squashed == NULL) goto oom;
    d->template_role_group = pi_rules_group(d->rules, "bnd.template_role", PI_FAM_FAKE_BOUNDARY);
    for (size_t i = 0; i < pi_builtin_templates_len && i < 64; i++) {
        const pi_literal_def *t = &pi_builtin_templates[i];
        if (t->feature && !(t->feature & features)) continue;
        d->template_group[i] = pi_rules_group(d->rules, t->group, t->family);
        if (d->template_group[i] < 0 || pi_aho_add(d->literals, t->text, strlen(t->text), (uint32_t)i) != 0) goto oom;
    }
    for (size_t i = 0; i < pi_builtin_squashed_len && i < 64; i++) {
        const pi_literal_def *t = &pi_builtin_squashed[i];
        char sq[128];
        size_t sl = squash(t->text, strlen(t->text), sq);
        d->squashed_group[i] = pi_rules_group(d->rules, t->group, t->family);
        if (d->squashed_group[i] < 0 || pi_aho_add(d->squashed, sq, sl, (uint32_t)i) != 0) goto oom;
    }
    d->custom_group = pi_rules_group(d->rules, "custom.attack_pattern", PI_FAM_CUSTOM_PATTERN);
    if (d->custom_group < 0 || d->template_role_group < 0) goto oom;

    if (o->n_attack_patterns > 0) {
        size_t maxp = o->n_attack_patterns * MAX_PIECES;
        d->customs = calloc(o->n_attack_patterns, sizeof(custom_pattern));
        d->piece_pattern = calloc(maxp, sizeof(uint32_t));
        d->piece_index = calloc(maxp, 1);
        d->piece_bound_start = calloc(maxp, 1);
        d->piece_bound_end = calloc(maxp, 1);
        if (!d->customs || !d->piece_pattern || !d->piece_index || !d->piece_bound_start || !d->piece_bound_end)
            goto oom;
        for (size_t i = 0; i < o->n_attack_patterns; i++) {
            if (add_custom_pattern(d, o->attack_patterns[i], i, err, cap) != 0) goto fail;
        }
    }
    if (pi_aho_build(d->literals) != 0 || pi_aho_build(d->squashed) != 0) goto oom;
    return d;
oom:
    snprintf(err, cap, "out of memory");
fail:
    pi_detector_free(d);
    return NULL;
}

void pi_detector_free(pi_detector *d) {
    if (d == NULL) return;
    pi_model_free(d->model);
    pi_aho_free(d->literals);
    pi_aho_free(d->squashed);
    pi_rules_free(d->rules);
    pi_lexicon_free(d->lex);
    free(d->customs);
    free(d->piece_pattern);
    free(d->piece_index);
    free(d->piece_bound_start);
    free(d->piece_bound_end);
    free(d);
}

/* ---------------------------------------------------------------------------------------------------
 * Scanning
 * ------------------------------------------------------------------------------------------------- */

/* Stretches of quoted third-party content inside a user message. Line-level markers that are not words:
 * fenced blocks, document tags and e-mail quoting delimit their content; a "-----Original Message-----"
 * style rule opens content that runs to the end. Word markers ("Email:", "the text below:") are found by
 * the marker rules (pi_rules_region_start) and also run to the end. */
#define MAX_REGIONS 16

typedef struct regions {
    size_t start[MAX_REGIONS], end[MAX_REGIONS];
    size_t n;
} regions;

static void add_region(regions *r, size_t start, size_t end) {
    if (r->n < MAX_REGIONS && start < end) {
        r->start[r->n] = start;
        r->end[r->n] = end;
        r->n++;
    }
}

static int in_regions(const regions *r, size_t off) {
    for (size_t i = 0; i < r->n; i++) {
        if (off >= r->start[i] && off < r->end[i]) return 1;
    }
    return 0;
}

static const char *find_from(const char *s, size_t n, size_t from, const char *needle) {
    size_t m = strlen(needle);
    for (size_t i = from; i + m <= n; i++) {
        if (s[i] == needle[0] && memcmp(s + i, needle, m) == 0) return s + i;
    }
    return NULL;
}

static size_t line_end(const char *s, size_t n, size_t from) {
    const char *nl = memchr(s + from, '\n', n - from);
    return nl ? (size_t)(nl - s) + 1 : n;
}

static void structural_regions(const char *s, size_t n, regions *r) {
    static const char *const TAGS[] = {"document", "email", "context", "article", "webpage", "search", "tool",
                                       "untrusted", "data", "quote"};
    size_t line = 0;
    while (line < n && r->n < MAX_REGIONS) {
        size_t i = line, next = line_end(s, n, line);
        while (i < next && s[i] == ' ') i++;
        if (i < n && s[i] == '>') {
            /* An e-mail quote: the run of '>' lines. */
            size_t end = next;
            while (end < n) {
                size_t j = end;
                while (j < n && s[j] == ' ') j++;
                if (j >= n || s[j] != '>') break;
                end = line_end(s, n, end);
            }
            add_region(r, line, end);
            line = end;
            continue;
        }
        if (i + 3 <= n && (memcmp(s + i, "```", 3) == 0 || memcmp(s + i, "\"\"\"", 3) == 0)) {
            char fence[4] = {s[i], s[i], s[i], 0};
            const char *close = find_from(s, n, next, fence);
            size_t end = close ? line_end(s, n, (size_t)(close - s)) : n;
            add_region(r, line, end);
            line = end;
            continue;
        }
        if (i + 5 <= n && memcmp(s + i, "-----", 5) == 0) {
            add_region(r, line, n);
            break;
        }
        if (i < n && (s[i] == '<' || s[i] == '[')) {
            for (size_t k = 0; k < sizeof(TAGS) / sizeof(TAGS[0]); k++) {
                size_t m = strlen(TAGS[k]);
                if (i + 1 + m <= n && memcmp(s + i + 1, TAGS[k], m) == 0) {
                    char close_tag[24];
                    snprintf(close_tag, sizeof(close_tag), "%c/%s", s[i], TAGS[k]);
                    const char *close = find_from(s, n, i + 1 + m, close_tag);
                    size_t end = close ? (size_t)(close - s) + strlen(close_tag) : n;
                    add_region(r, line, end);
                    next = end > next ? line_end(s, n, end < n ? end : n - 1) : next;
                    break;
                }
            }
        }
        line = next;
    }
}

static void mark_untrusted(pi_tokens *tk, const regions *r) {
    for (size_t i = 0; i < tk->n; i++) {
        if (in_regions(r, tk->v[i].start)) tk->v[i].flags |= PI_TOK_UNTRUSTED;
    }
}

typedef struct scan_ctx {
    const pi_detector *d;
    const char *text; /* the lower-cased normalised text the literal automaton runs over */
    size_t len;
    pi_hits *hits;
    size_t *piece_end; /* per custom piece chain: end offset + 1 of the latest match of parts 0..k */
    size_t *budget;
    unsigned depth;
    uint32_t source;
    const regions *untrusted; /* where third-party content is */
    int failed;
    double *model_logit; /* highest model logit of this text and its payloads */
} scan_ctx;

static int scan_text(const pi_detector *d, const uint8_t *text, size_t len, uint32_t source, unsigned depth,
                     size_t *budget, pi_hits *hits, double *model_logit);

static const char *const ROLE_WORDS[] = {"system", "assistant", "developer"};

static void on_literal(void *vctx, uint32_t value, size_t start, size_t end) {
    scan_ctx *c = vctx;
    const pi_detector *d = c->d;
    if (value & LIT_CUSTOM) {
        size_t pi = value & ~LIT_CUSTOM;
        if (d->piece_bound_start[pi] && start > 0 && is_alnum((unsigned char)c->text[start - 1])) return;
        if (d->piece_bound_end[pi] && end < c->len && is_alnum((unsigned char)c->text[end])) return;
        const custom_pattern *cp = &d->customs[d->piece_pattern[pi]];
        size_t k = d->piece_index[pi];
        if (k > 0) {
            size_t prev = c->piece_end[pi - 1];
            if (prev == 0 || prev - 1 > start || start - (prev - 1) > PIECE_WINDOW) return;
        }
        c->piece_end[pi] = end + 1;
        if (k + 1 == cp->npieces) pi_hits_add(c->hits, d->custom_group, CUSTOM_WEIGHT, PI_FAM_CUSTOM_PATTERN);
        return;
    }
    const pi_literal_def *t = &pi_builtin_templates[value];
    if (t->role_weight > 0.0f) {
        /* "<|im_start|>system": the token opens a turn for a privileged role. */
        size_t i = end;
        while (i < c->len && (c->text[i] == ' ' || c->text[i] == '\n')) i++;
        for (size_t r = 0; r < sizeof(ROLE_WORDS) / sizeof(ROLE_WORDS[0]); r++) {
            size_t n = strlen(ROLE_WORDS[r]);
            if (i + n <= c->len && memcmp(c->text + i, ROLE_WORDS[r], n) == 0) {
                pi_hits_add(c->hits, d->template_role_group, t->role_weight, t->family);
                return;
            }
        }
    }
    pi_hits_add(c->hits, d->template_group[value], t->weight, t->family);
}

/* True when text[start, end) is ordinary words: letters separated by single spaces. Such a phrase was
 * seen by the word rules already, with their negation and first-person checks; the squashed view is
 * only for spellings the word rules cannot see (joined, spaced-out, split, leetspeak). */
static int plain_words(const char *text, size_t start, size_t end) {
    int spaces = 0;
    for (size_t i = start; i < end; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == ' ') {
            if (i + 1 < end && text[i + 1] == ' ') return 0;
            spaces++;
        } else if (ch < 'a' || ch > 'z') {
            return 0;
        }
    }
    return spaces > 0;
}

static void on_squashed(void *vctx, uint32_t value, size_t start, size_t end) {
    scan_ctx *c = vctx;
    const pi_detector *d = c->d;
    if (plain_words(c->text, start, end)) return;
    if (value & SQ_CUSTOM) {
        pi_hits_add(c->hits, d->custom_group, CUSTOM_WEIGHT, PI_FAM_CUSTOM_PATTERN);
        return;
    }
    const pi_literal_def *t = &pi_builtin_squashed[value];
    pi_hits_add(c->hits, d->squashed_group[value], t->weight, t->family);
}

/* A decoded payload: scan it one level deeper; its findings carry the encoded_payload family. */
static int on_payload(void *vctx, size_t offset, const uint8_t *text, size_t n) {
    scan_ctx *c = vctx;
    if (*c->budget < n) return 1;
    *c->budget -= n;
    pi_hits sub;
    memset(&sub, 0, sizeof(sub));
    /* A payload inside quoted third-party content is third-party content too. */
    uint32_t source = in_regions(c->untrusted, offset) ? PI_SOURCE_TOOL : c->source;
    if (scan_text(c->d, text, n, source, c->depth + 1, c->budget, &sub, c->model_logit) != 0) {
        c->failed = 1;
        return 1;
    }
    pi_hits_merge(c->hits, &sub, PI_FAM_ENCODED_PAYLOAD);
    return 0;
}

/* Normalise and tokenise a text and find its third-party regions (a tool result is third-party
 * throughout). On success the caller frees nm and tk. */
static int prepare(const pi_detector *d, const uint8_t *text, size_t len, uint32_t source, pi_norm *nm,
                   pi_tokens *tk, regions *untrusted) {
    if (pi_normalize(text, len, d->norm, nm) != 0) return -1;
    memset(tk, 0, sizeof(*tk));
    if (pi_tokenize(d->lex, nm->lower, nm->cased, nm->len, tk) != 0) {
        pi_tokens_free(tk);
        pi_norm_free(nm);
        return -1;
    }
    memset(untrusted, 0, sizeof(*untrusted));
    if (source == PI_SOURCE_TOOL) {
        add_region(untrusted, 0, nm->len + 1);
    } else {
        structural_regions(nm->lower, nm->len, untrusted);
        size_t ti = pi_rules_region_start(d->rules, tk->v, tk->n);
        if (ti < tk->n) add_region(untrusted, tk->v[ti].start, nm->len + 1);
    }
    return 0;
}

static double model_logit(const pi_detector *d, const pi_norm *nm, uint32_t source, const regions *untrusted) {
    pi_model_spans spans = {untrusted->start, untrusted->end, untrusted->n};
    return pi_model_logit(d->model, nm->lower, nm->len,
                          source == PI_SOURCE_TOOL ? PI_MODEL_ROLE_TOOL : PI_MODEL_ROLE_USER,
                          source == PI_SOURCE_TOOL ? NULL : &spans);
}

static int scan_text(const pi_detector *d, const uint8_t *text, size_t len, uint32_t source, unsigned depth,
                     size_t *budget, pi_hits *hits, double *mlogit) {
    pi_norm nm;
    pi_tokens tk;
    regions untrusted;
    if (prepare(d, text, len, source, &nm, &tk, &untrusted) != 0) return -1;
    int rc = -1;
    size_t *piece_end = NULL;
    int rules = d->opt.mode != PI_MODE_MODEL;
    if (d->model != NULL) {
        double l = model_logit(d, &nm, source, &untrusted);
        if (l > *mlogit) *mlogit = l;
    }
    mark_untrusted(&tk, &untrusted);
    if (rules) pi_rules_match(d->rules, tk.v, tk.n, hits);

    scan_ctx sc = {d, nm.lower, nm.len, hits, NULL, budget, depth, source, &untrusted, 0, mlogit};
    /* Template tokens all start with < [ or #; attack_patterns can be anything. */
    if (rules && pi_aho_count(d->literals) > 0 && (nm.has_specials || d->npieces > 0)) {
        if (d->npieces > 0) {
            piece_end = calloc(d->npieces, sizeof(size_t));
            if (piece_end == NULL) goto out;
            sc.piece_end = piece_end;
        }
        pi_aho_scan(d->literals, nm.lower, nm.len, PI_AHO_FEED_COLLAPSE, NULL, on_literal, &sc);
    }
    if (rules && pi_aho_count(d->squashed) > 0) {
        pi_aho_scan(d->squashed, nm.lower, nm.len, PI_AHO_FEED_MAP, SQUASH_MAP, on_squashed, &sc);
    }

    /* Payloads, one level deeper each. Text smuggled in tag characters is always read. */
    if (depth < MAX_DEPTH_HARD) {
        if (nm.hidden_len > 0) on_payload(&sc, 0, (const uint8_t *)nm.hidden, nm.hidden_len);
        if (depth < d->opt.max_decode_depth) {
            if (d->opt.decode_base64 && nm.max_b64_run >= PI_DECODE_MIN_RUN &&
                pi_find_base64(nm.cased, nm.len, on_payload, &sc) != 0)
                goto out;
            if (d->opt.decode_hex && nm.max_hex_run >= PI_DECODE_MIN_RUN &&
                pi_find_hex(nm.lower, nm.len, on_payload, &sc) != 0)
                goto out;
        }
        if (sc.failed) goto out;
    }
    rc = 0;
out:
    free(piece_end);
    pi_tokens_free(&tk);
    pi_norm_free(&nm);
    return rc;
}

/* ---------------------------------------------------------------------------------------------------
 * Scoring
 * ------------------------------------------------------------------------------------------------- */

const char *pi_detector_group_name(const pi_detector *d, unsigned g) {
    return g < pi_rules_group_count(d->rules) ? pi_rules_group_name(d->rules, (int)g) : NULL;
}

size_t pi_format_groups(const pi_detector *d, const pi_result *r, char *buf, size_t cap) {
    size_t w = 0;
    if (cap == 0) return 0;
    buf[0] = '\0';
    for (unsigned g = 0; g < PI_MAX_GROUPS; g++) {
        if (!(r->groups[g / 64] & (1ull << (g % 64)))) continue;
        int n = snprintf(buf + w, cap - w, "%s%s", w ? "," : "", pi_detector_group_name(d, g));
        if (n < 0 || (size_t)n >= cap - w) {
            buf[cap - 1] = '\0';
            return cap - 1;
        }
        w += (size_t)n;
    }
    return w;
}

/* Independent-evidence combination: 1 - prod(1 - w * factor) over groups. */
static double combine(const pi_hits *h, double factor, double acc_miss, uint32_t *families, uint64_t *groups) {
    for (int g = 0; g < PI_MAX_GROUPS; g++) {
        double w = (double)h->w[g] * factor;
        if (w <= 0.0) continue;
        acc_miss *= 1.0 - w;
        if (w >= 0.05) {
            *families |= h->fam[g];
            if (groups) groups[g / 64] |= 1ull << (g % 64);
        }
    }
    return acc_miss;
}

const pi_model *pi_detector_model(const pi_detector *d) { return d->model; }

double pi_detector_model_logit(const pi_detector *d, const uint8_t *text, size_t len, uint32_t source) {
    pi_norm nm;
    pi_tokens tk;
    regions untrusted;
    if (d->model == NULL || prepare(d, text, len, source, &nm, &tk, &untrusted) != 0) return 0.0;
    double l = model_logit(d, &nm, source, &untrusted);
    pi_tokens_free(&tk);
    pi_norm_free(&nm);
    return l;
}

int pi_detector_model_features(const pi_detector *d, uint32_t bits, const uint8_t *text, size_t len,
                               uint32_t source, pi_feature_fn fn, void *ctx) {
    pi_norm nm;
    pi_tokens tk;
    regions untrusted;
    if (bits < PI_MODEL_MIN_BITS || bits > PI_MODEL_MAX_BITS) return -1;
    if (prepare(d, text, len, source, &nm, &tk, &untrusted) != 0) return -1;
    pi_model_spans spans = {untrusted.start, untrusted.end, untrusted.n};
    pi_model_features(bits, nm.lower, nm.len, source == PI_SOURCE_TOOL ? PI_MODEL_ROLE_TOOL : PI_MODEL_ROLE_USER,
                      source == PI_SOURCE_TOOL ? NULL : &spans, fn, ctx);
    pi_tokens_free(&tk);
    pi_norm_free(&nm);
    return 0;
}

int pi_scan_text(const pi_detector *d, const uint8_t *text, size_t len, uint32_t source, pi_result *out) {
    pi_message m = {text, len, source, 0};
    return pi_scan_messages(d, &m, 1, out);
}

int pi_scan_messages(const pi_detector *d, const pi_message *msgs, size_t n, pi_result *out) {
    memset(out, 0, sizeof(*out));
    /* Age of a message = user turns after it: only new user input moves an attack into the past. */
    double miss = 1.0, best_single = 0.0, model_best = 0.0;
    uint32_t families = 0;
    size_t budget = DECODE_BUDGET;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        pi_hits hits;
        memset(&hits, 0, sizeof(hits));
        double mlogit = -1e30; /* highest model logit among the message's parts and payloads */
        while (j < n && msgs[j].turn == msgs[i].turn) {
            if (scan_text(d, msgs[j].text, msgs[j].len, msgs[j].source, 0, &budget, &hits, &mlogit) != 0) return -1;
            j++;
        }
        unsigned later_user_turns = 0;
        uint32_t last_turn = msgs[i].turn;
        for (size_t k = j; k < n; k++) {
            if (msgs[k].source == PI_SOURCE_USER && msgs[k].turn != last_turn) {
                later_user_turns++;
                last_turn = msgs[k].turn;
            }
        }
        double factor = 1.0;
        for (unsigned a = 0; a < later_user_turns; a++) factor *= d->opt.multi_turn_decay;
        uint32_t fam = 0;
        double single = 1.0 - combine(&hits, factor, 1.0, &fam, NULL);
        if (d->model != NULL && mlogit > -1e29) {
            /* The model scores each message on its own; an older message counts less, like the rules. */
            double p = factor * pi_model_sigmoid(mlogit);
            if (p > model_best) model_best = p;
        }
        if (single > best_single) best_single = single;
        miss = combine(&hits, factor, miss, &families, out->groups);
        i = j;
    }
    double rules = 1.0 - miss;
    if (rules < 0.0) rules = 0.0;
    out->rule_score = rules;
    out->model_score = model_best;
    switch (d->opt.mode) {
    case PI_MODE_MODEL: out->score = model_best; families = 0; break;
    case PI_MODE_BOTH: out->score = 1.0 - (1.0 - rules) * (1.0 - model_best); break;
    default: out->score = rules; break;
    }
    if (d->model != NULL && model_best >= d->opt.threshold) families |= PI_FAM_CLASSIFIER;
    out->families = families;
    out->detected = out->score >= d->opt.threshold;
    /* Several turns' rule signals together crossed the threshold where no single turn did. */
    if (d->opt.mode != PI_MODE_MODEL && rules >= d->opt.threshold && best_single < d->opt.threshold)
        out->families |= PI_FAM_MULTI_TURN;
    return 0;
}
