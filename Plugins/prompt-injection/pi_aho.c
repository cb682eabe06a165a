/* pi_aho.c: Aho-Corasick with a dense DFA over a reduced alphabet (only bytes that occur in patterns get
 * their own column), so scanning is one table lookup per byte with no failure-link walking. */
#include "pi_aho.h"

#include <stdlib.h>
#include <string.h>

typedef struct pattern {
    char *bytes;
    size_t len;
    uint32_t value;
} pattern;

struct pi_aho {
    pattern *pats;
    size_t npats, cappats;
    /* Built: */
    uint8_t sym[256];   /* byte -> column; 0 = a byte no pattern contains */
    size_t nsym;        /* columns */
    int32_t *delta;     /* nstates * nsym transitions, as the target's row offset (state * nsym), bitwise
                         * complemented when the target reports a match: one load and a sign test per byte */
    int32_t *out_first; /* per state: first pattern index ending here, or -1 */
    int32_t *out_next;  /* per state: the next state (by dictionary suffix link) with an output, or -1 */
    int32_t *out_link;  /* per pattern: the next pattern ending at the same state, or -1 */
    size_t nstates;
};

pi_aho *pi_aho_new(void) { return calloc(1, sizeof(pi_aho)); }

void pi_aho_free(pi_aho *a) {
    if (a == NULL) return;
    for (size_t i = 0; i < a->npats; i++) free(a->pats[i].bytes);
    free(a->pats);
    free(a->delta);
    free(a->out_first);
    free(a->out_next);
    free(a->out_link);
    free(a);
}

size_t pi_aho_count(const pi_aho *a) { return a->npats; }

int pi_aho_add(pi_aho *a, const char *pat, size_t len, uint32_t value) {
    /* Up to 256: attack_patterns may be 256 bytes, and the scan's ring of fed offsets holds 256. */
    if (len == 0 || len > 256 || a->delta != NULL) return -1;
    if (a->npats == a->cappats) {
        size_t cap = a->cappats ? a->cappats * 2 : 32;
        pattern *p = realloc(a->pats, cap * sizeof(pattern));
        if (p == NULL) return -1;
        a->pats = p;
        a->cappats = cap;
    }
    char *copy = malloc(len);
    if (copy == NULL) return -1;
    memcpy(copy, pat, len);
    a->pats[a->npats++] = (pattern){copy, len, value};
    return 0;
}

int pi_aho_build(pi_aho *a) {
    memset(a->sym, 0, sizeof(a->sym));
    a->nsym = 1;
    size_t total = 1;
    for (size_t i = 0; i < a->npats; i++) {
        total += a->pats[i].len;
        for (size_t j = 0; j < a->pats[i].len; j++) {
            uint8_t c = (uint8_t)a->pats[i].bytes[j];
            if (a->sym[c] == 0) a->sym[c] = (uint8_t)a->nsym++;
        }
    }
    if (a->nsym > 255) return -1;
    size_t ns = a->nsym;
    a->delta = malloc(total * ns * sizeof(int32_t));
    a->out_first = malloc(total * sizeof(int32_t));
    a->out_next = malloc(total * sizeof(int32_t));
    a->out_link = malloc((a->npats ? a->npats : 1) * sizeof(int32_t));
    int32_t *fail = malloc(total * sizeof(int32_t));
    int32_t *queue = malloc(total * sizeof(int32_t));
    if (!a->delta || !a->out_first || !a->out_next || !a->out_link || !fail || !queue) {
        free(fail);
        free(queue);
        return -1;
    }
    for (size_t i = 0; i < total * ns; i++) a->delta[i] = -1;
    for (size_t i = 0; i < total; i++) a->out_first[i] = a->out_next[i] = -1;
    a->nstates = 1;
    /* Trie. */
    for (size_t i = 0; i < a->npats; i++) {
        int32_t s = 0;
        for (size_t j = 0; j < a->pats[i].len; j++) {
            size_t c = a->sym[(uint8_t)a->pats[i].bytes[j]];
            if (a->delta[(size_t)s * ns + c] < 0) a->delta[(size_t)s * ns + c] = (int32_t)a->nstates++;
            s = a->delta[(size_t)s * ns + c];
        }
        a->out_link[i] = a->out_first[s];
        a->out_first[s] = (int32_t)i;
    }
    /* Breadth-first: failure links, dictionary links and the complete transition function. */
    size_t qh = 0, qt = 0;
    fail[0] = 0;
    for (size_t c = 0; c < ns; c++) {
        int32_t t = a->delta[c];
        if (t < 0) {
            a->delta[c] = 0;
        } else {
            fail[t] = 0;
            queue[qt++] = t;
        }
    }
    while (qh < qt) {
        int32_t s = queue[qh++];
        int32_t f = fail[s];
        a->out_next[s] = (a->out_first[f] >= 0) ? f : a->out_next[f];
        for (size_t c = 0; c < ns; c++) {
            int32_t t = a->delta[(size_t)s * ns + c];
            if (t < 0) {
                a->delta[(size_t)s * ns + c] = a->delta[(size_t)f * ns + c];
            } else {
                fail[t] = a->delta[(size_t)f * ns + c];
                queue[qt++] = t;
            }
        }
    }
    free(fail);
    free(queue);
    if (total * ns > (size_t)INT32_MAX) return -1;
    for (size_t i = 0; i < a->nstates * ns; i++) {
        int32_t t = a->delta[i];
        int32_t row = (int32_t)((size_t)t * ns);
        a->delta[i] = (a->out_first[t] >= 0 || a->out_next[t] >= 0) ? ~row : row;
    }
    return 0;
}

void pi_aho_scan(const pi_aho *a, const char *text, size_t n, int feed, const char map[256], pi_aho_match_fn fn,
                 void *ctx) {
    if (a->delta == NULL || a->npats == 0) return;
    /* Original offsets of the last 256 bytes fed, to turn a match length into a start offset when the
     * feed skipped or merged bytes. */
    size_t ring[256];
    size_t fed = 0;
    size_t row = 0; /* the current state's row offset */
    int prev_ws = 0;
    const size_t ns = a->nsym;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)text[i];
        if (feed == PI_AHO_FEED_MAP) {
            c = (uint8_t)map[c];
            if (c == 0) continue;
        } else if (feed == PI_AHO_FEED_COLLAPSE) {
            int ws = (c == ' ' || c == '\n');
            if (ws && prev_ws) continue;
            prev_ws = ws;
            if (ws) c = ' ';
        }
        ring[fed & 255] = i;
        fed++;
        int32_t v = a->delta[row + a->sym[c]];
        if (v >= 0) {
            row = (size_t)v;
            continue;
        }
        row = (size_t)~v;
        int32_t s = (int32_t)(row / ns);
        for (int32_t st = (a->out_first[s] >= 0) ? s : a->out_next[s]; st >= 0; st = a->out_next[st]) {
            for (int32_t p = a->out_first[st]; p >= 0; p = a->out_link[p]) {
                size_t len = a->pats[p].len;
                size_t start = ring[(fed - len) & 255];
                fn(ctx, a->pats[p].value, start, i + 1);
            }
        }
    }
}
