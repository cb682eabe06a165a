/* pi_rules.c: compiler and matcher for the phrase rules (language described in pi_rules.h). */
#include "pi_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pi_rules_builtin.h"

#define MAX_STEPS 8
#define MAX_WORDS 16

#define STEP_LINE_START 0x01u
#define STEP_COLON 0x02u
#define STEP_UPPER 0x04u
#define STEP_PUNCT 0x08u

typedef struct step {
    uint64_t cls;
    uint32_t words[MAX_WORDS];
    uint8_t nwords;
    uint8_t gap; /* words allowed between this step and the next */
    uint8_t flags;
} step;

typedef struct rule {
    step steps[MAX_STEPS];
    uint8_t nsteps;
    uint8_t end_anchor;
    uint8_t scope;
    uint8_t neg;
    uint64_t forbid;
    int group;
    uint32_t family;
    float weight;
} rule;

struct pi_rule_set {
    rule *rules;
    size_t nrules;
    char *group_names[PI_MAX_GROUPS];
    uint32_t group_family[PI_MAX_GROUPS];
    size_t ngroups;
    /* First-step index: rules whose first step can match word id i are by_first[first_off[i] ..
     * first_off[i+1]). Rules whose first step needs an unknown word never match. */
    uint32_t *first_off;
    uint32_t *by_first;
    uint32_t id_limit;
    uint64_t not_cls;         /* NOT class, for negation checks */
    uint32_t clause_words[8]; /* words that may end a clause for `$` */
    size_t nclause_words;
};

void pi_hits_add(pi_hits *h, int group, float weight, uint32_t families) {
    if (group < 0 || group >= PI_MAX_GROUPS) return;
    if (weight > h->w[group]) h->w[group] = weight;
    h->fam[group] |= families;
}

void pi_hits_merge(pi_hits *dst, const pi_hits *src, uint32_t extra_families) {
    for (int g = 0; g < PI_MAX_GROUPS; g++) {
        if (src->w[g] <= 0.0f) continue;
        pi_hits_add(dst, g, src->w[g], src->fam[g] | extra_families);
    }
}

int pi_rules_group(pi_rule_set *rs, const char *name, uint32_t family) {
    for (size_t g = 0; g < rs->ngroups; g++) {
        if (strcmp(rs->group_names[g], name) == 0) {
            rs->group_family[g] |= family;
            return (int)g;
        }
    }
    if (rs->ngroups == PI_MAX_GROUPS) return -1;
    size_t n = strlen(name);
    char *copy = malloc(n + 1);
    if (copy == NULL) return -1;
    memcpy(copy, name, n + 1);
    rs->group_names[rs->ngroups] = copy;
    rs->group_family[rs->ngroups] = family;
    return (int)rs->ngroups++;
}

size_t pi_rules_group_count(const pi_rule_set *rs) { return rs->ngroups; }

const char *pi_rules_group_name(const pi_rule_set *rs, int group) {
    return (group >= 0 && (size_t)group < rs->ngroups) ? rs->group_names[group] : "";
}

/* Compile one element ("^{A|B}:", "word|other!") into a step. */
static int compile_element(pi_lexicon *lx, const char *el, size_t n, step *st, char *err, size_t cap) {
    memset(st, 0, sizeof(*st));
    if (n && el[0] == '^') {
        st->flags |= STEP_LINE_START;
        el++;
        n--;
    }
    while (n && (el[n - 1] == ':' || el[n - 1] == '!' || el[n - 1] == '.')) {
        st->flags |= el[n - 1] == ':' ? STEP_COLON : el[n - 1] == '!' ? STEP_UPPER : STEP_PUNCT;
        n--;
    }
    /* Alternatives separated by '|': words, or {CLASS|CLASS} groups of classes. */
    const char *p = el, *end = el + n;
    while (p < end) {
        if (*p == '{') {
            const char *close = memchr(p, '}', (size_t)(end - p));
            if (close == NULL) goto bad;
            const char *c = p + 1;
            while (c < close) {
                const char *q = c;
                while (q < close && *q != '|') q++;
                char name[32];
                size_t len = (size_t)(q - c);
                if (len == 0 || len >= sizeof(name)) goto bad;
                memcpy(name, c, len);
                name[len] = '\0';
                int bit = pi_lexicon_class_bit(name);
                if (bit < 0) {
                    snprintf(err, cap, "built-in rule uses unknown word class {%s}", name);
                    return -1;
                }
                st->cls |= 1ull << bit;
                c = q + 1;
            }
            p = close + 1;
        } else {
            const char *q = p;
            while (q < end && *q != '|') q++;
            if (q == p || st->nwords == MAX_WORDS) goto bad;
            uint32_t id = pi_lexicon_intern(lx, p, (size_t)(q - p));
            if (id == 0) goto bad;
            st->words[st->nwords++] = id;
            p = q;
        }
        if (p < end) {
            if (*p != '|') goto bad;
            p++;
        }
    }
    return 0;
bad:
    snprintf(err, cap, "built-in rule element '%.*s' is malformed", (int)n, el);
    return -1;
}

static int compile_rule(pi_rule_set *rs, pi_lexicon *lx, const pi_rule_def *d, rule *r, char *err, size_t cap) {
    memset(r, 0, sizeof(*r));
    r->scope = d->scope;
    r->neg = d->neg;
    r->family = d->family;
    r->weight = d->weight;
    if (d->forbid != NULL) {
        int bit = pi_lexicon_class_bit(d->forbid);
        if (bit < 0) {
            snprintf(err, cap, "built-in rule forbids unknown class %s", d->forbid);
            return -1;
        }
        r->forbid = 1ull << bit;
    }
    const char *p = d->pattern;
    unsigned pending_gap = 0;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *q = p;
        while (*q && *q != ' ') q++;
        size_t n = (size_t)(q - p);
        if (p[0] == '~') {
            pending_gap = (unsigned)atoi(p + 1);
            if (r->nsteps == 0 || pending_gap > 20) goto bad;
            r->steps[r->nsteps - 1].gap = (uint8_t)pending_gap;
        } else if (n == 1 && p[0] == '$') {
            r->end_anchor = 1;
        } else {
            if (r->nsteps == MAX_STEPS || r->end_anchor) goto bad;
            if (compile_element(lx, p, n, &r->steps[r->nsteps], err, cap) != 0) return -1;
            r->nsteps++;
        }
        p = q;
    }
    if (r->nsteps == 0) goto bad;
    const char *gname = d->group ? d->group : (d->scope >= PI_MARK_AFTER ? "marker" : NULL);
    if (gname == NULL) goto bad;
    r->group = pi_rules_group(rs, gname, d->family);
    if (r->group < 0) {
        snprintf(err, cap, "too many rule groups");
        return -1;
    }
    return 0;
bad:
    snprintf(err, cap, "built-in rule '%s' is malformed", d->pattern);
    return -1;
}

pi_rule_set *pi_rules_compile(pi_lexicon *lx, uint32_t features, char *err, size_t cap) {
    pi_rule_set *rs = calloc(1, sizeof(pi_rule_set));
    if (rs == NULL) goto oom;
    rs->rules = calloc(pi_builtin_rules_len, sizeof(rule));
    if (rs->rules == NULL) goto oom;
    for (size_t i = 0; i < pi_builtin_rules_len; i++) {
        const pi_rule_def *d = &pi_builtin_rules[i];
        if (d->feature != 0 && (d->feature & features) == 0) continue;
        if (compile_rule(rs, lx, d, &rs->rules[rs->nrules], err, cap) != 0) {
            pi_rules_free(rs);
            return NULL;
        }
        rs->nrules++;
    }
    int bit = pi_lexicon_class_bit("NOT");
    rs->not_cls = bit >= 0 ? 1ull << bit : 0;
    static const char *const clause_words[] = {"and", "then", "instead", "but", "now", "just", "only"};
    for (size_t i = 0; i < sizeof(clause_words) / sizeof(clause_words[0]); i++) {
        uint32_t id = pi_lexicon_intern(lx, clause_words[i], strlen(clause_words[i]));
        if (id == 0) goto oom;
        rs->clause_words[rs->nclause_words++] = id;
    }
    return rs;
oom:
    snprintf(err, cap, "out of memory");
    pi_rules_free(rs);
    return NULL;
}

static int step_matches(const step *s, const pi_token *t) {
    if (t->id == 0) return 0;
    int ok = (s->cls & t->cls) != 0;
    for (size_t i = 0; !ok && i < s->nwords; i++) ok = s->words[i] == t->id;
    if (!ok) return 0;
    if ((s->flags & STEP_LINE_START) && !(t->flags & PI_TOK_LINE_START)) return 0;
    if ((s->flags & STEP_COLON) && !(t->flags & PI_TOK_COLON)) return 0;
    if ((s->flags & STEP_UPPER) && !(t->flags & PI_TOK_UPPER)) return 0;
    if ((s->flags & STEP_PUNCT) && !(t->flags & PI_TOK_STOP_AFTER)) return 0;
    return 1;
}

int pi_rules_index(pi_rule_set *rs, const pi_lexicon *lx) {
    uint32_t lim = pi_lexicon_id_limit(lx);
    rs->id_limit = lim;
    free(rs->first_off);
    free(rs->by_first);
    rs->first_off = calloc((size_t)lim + 1, sizeof(uint32_t));
    if (rs->first_off == NULL) return -1;
    /* Two passes: count, then fill. A rule is listed under every word its first step accepts. */
    size_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t pos = 0;
        for (uint32_t id = 1; id < lim; id++) {
            pi_token probe = {0, 0, id, PI_TOK_LINE_START | PI_TOK_COLON | PI_TOK_UPPER | PI_TOK_STOP_AFTER,
                              pi_lexicon_cls(lx, id)};
            if (pass == 1) rs->first_off[id] = (uint32_t)pos;
            for (size_t r = 0; r < rs->nrules; r++) {
                if (!step_matches(&rs->rules[r].steps[0], &probe)) continue;
                if (pass == 1) rs->by_first[pos] = (uint32_t)r;
                pos++;
            }
        }
        if (pass == 0) {
            total = pos;
            rs->by_first = malloc((total ? total : 1) * sizeof(uint32_t));
            if (rs->by_first == NULL) return -1;
        } else {
            rs->first_off[lim] = (uint32_t)pos;
        }
    }
    return 0;
}

void pi_rules_free(pi_rule_set *rs) {
    if (rs == NULL) return;
    for (size_t g = 0; g < rs->ngroups; g++) free(rs->group_names[g]);
    free(rs->rules);
    free(rs->first_off);
    free(rs->by_first);
    free(rs);
}

static int clause_ends_after(const pi_rule_set *rs, const pi_token *t, size_t n, size_t pos) {
    if (pos + 1 >= n || (t[pos].flags & PI_TOK_PUNCT_AFTER) || (t[pos + 1].flags & PI_TOK_BREAK)) return 1;
    for (size_t i = 0; i < rs->nclause_words; i++) {
        if (t[pos + 1].id == rs->clause_words[i]) return 1;
    }
    return 0;
}

/* Step k-1 matched token `pos`; try to match steps k.. (bounded backtracking: gaps are small). */
static int match_rest(const pi_rule_set *rs, const rule *r, size_t k, const pi_token *t, size_t n, size_t pos,
                      size_t *end) {
    if (k == r->nsteps) {
        if (r->end_anchor && !clause_ends_after(rs, t, n, pos)) return 0;
        *end = pos;
        return 1;
    }
    size_t maxj = pos + 1 + r->steps[k - 1].gap;
    for (size_t j = pos + 1; j <= maxj && j < n; j++) {
        /* Expanded contractions share a span; only a real gap word can break the sentence. */
        if (t[j].flags & PI_TOK_BREAK) break;
        if (j > pos + 1 && (t[j - 1].cls & r->forbid)) break;
        if (step_matches(&r->steps[k], &t[j]) && match_rest(rs, r, k + 1, t, n, j, end)) return 1;
    }
    return 0;
}

static int negated(const pi_rule_set *rs, const pi_token *t, size_t i) {
    for (size_t back = 1; back <= 2 && back <= i; back++) {
        if (t[i - back + 1].flags & PI_TOK_BREAK) return 0;
        if (t[i - back].cls & rs->not_cls) return 1;
    }
    return 0;
}

static int rule_at(const pi_rule_set *rs, const rule *r, const pi_token *t, size_t n, size_t i, size_t *end) {
    if (!step_matches(&r->steps[0], &t[i])) return 0;
    if (r->scope == PI_SCOPE_UNTRUSTED && !(t[i].flags & PI_TOK_UNTRUSTED)) return 0;
    if (r->neg && negated(rs, t, i)) return 0;
    return match_rest(rs, r, 1, t, n, i, end);
}

size_t pi_rules_region_start(const pi_rule_set *rs, const pi_token *t, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t id = t[i].id;
        if (id == 0 || id >= rs->id_limit) continue;
        for (uint32_t k = rs->first_off[id]; k < rs->first_off[id + 1]; k++) {
            const rule *r = &rs->rules[rs->by_first[k]];
            if (r->scope < PI_MARK_AFTER) continue;
            size_t end;
            if (rule_at(rs, r, t, n, i, &end)) return r->scope == PI_MARK_AT ? i : end + 1;
        }
    }
    return n;
}

void pi_rules_match(const pi_rule_set *rs, const pi_token *t, size_t n, pi_hits *hits) {
    for (size_t i = 0; i < n; i++) {
        uint32_t id = t[i].id;
        if (id == 0 || id >= rs->id_limit) continue;
        for (uint32_t k = rs->first_off[id]; k < rs->first_off[id + 1]; k++) {
            const rule *r = &rs->rules[rs->by_first[k]];
            if (r->scope >= PI_MARK_AFTER) continue;
            if (hits->w[r->group] >= r->weight) continue; /* nothing to gain */
            size_t end;
            if (rule_at(rs, r, t, n, i, &end)) pi_hits_add(hits, r->group, r->weight, r->family);
        }
    }
}
