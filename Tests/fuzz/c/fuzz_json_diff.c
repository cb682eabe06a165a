/*
 * fuzz_json_diff.c: the four JSON readers of the C plugins against each other. pii_json.c (pii-detector),
 * pi_json.c (prompt-injection), al_json.c (audit-logger) and mini_json.h (keyword-blocklist) all claim
 * strict RFC 8259; a document one accepts and another refuses is a bug in one of them (a config the
 * gateway accepts for one policy and refuses for another, or an upstream event read differently).
 *
 * Input: one document. Compared only where the readers document no difference: valid UTF-8 (mini_json
 * does not validate it), no \u0000 escape (pi_json and al_json refuse it on purpose), nesting of at most
 * 30 levels (the limits are 32 and 64), and for mini_json only documents whose value is an object (it
 * reads objects only) without surrogate escapes (it documents turning a lone one into U+FFFD; the others
 * refuse it). pi_json also limits numbers (RFC 8259 section 9 allows it): at most 63 characters, and finite
 * as a double; a document with a number beyond that is compared without pi_json. Duplicate keys: pii_json
 * and pi_json refuse them, al_json keeps the last (as the host does) and mini_json the first, all documented.
 */
#include <math.h>

#include "al_json.h"
#include "mini_json.h"
#include "pi_json.h"
#include "pii_json.h"

#include "fuzz_util.h"

static int max_depth(const uint8_t *p, size_t n) {
    int depth = 0, max = 0, in_string = 0;
    for (size_t i = 0; i < n; i++) {
        if (in_string) {
            if (p[i] == '\\') i++;
            else if (p[i] == '"') in_string = 0;
        } else if (p[i] == '"') {
            in_string = 1;
        } else if (p[i] == '[' || p[i] == '{') {
            if (++depth > max) max = depth;
        } else if (p[i] == ']' || p[i] == '}') {
            depth--;
        }
    }
    return max;
}

/* 1 when a number token (outside strings) is one pi_json refuses by its documented limits. */
static int has_limited_number(const uint8_t *p, size_t n) {
    int in_string = 0;
    for (size_t i = 0; i < n; i++) {
        if (in_string) {
            if (p[i] == '\\') i++;
            else if (p[i] == '"') in_string = 0;
            continue;
        }
        if (p[i] == '"') {
            in_string = 1;
            continue;
        }
        if (p[i] != '-' && (p[i] < '0' || p[i] > '9')) continue;
        size_t e = i;
        while (e < n && (p[e] == '-' || p[e] == '+' || p[e] == '.' || p[e] == 'e' || p[e] == 'E' ||
                         (p[e] >= '0' && p[e] <= '9')))
            e++;
        if (e - i >= 64) return 1;
        char buf[64];
        memcpy(buf, p + i, e - i);
        buf[e - i] = '\0';
        if (!isfinite(strtod(buf, NULL))) return 1;
        i = e - 1;
    }
    return 0;
}

/* 1 when the text has a \uD800..\uDFFF escape (a backslash run's parity is ignored: at worst a document is
 * skipped for mini_json that could have been compared). */
static int has_surrogate_escape(const uint8_t *p, size_t n) {
    for (size_t i = 0; i + 3 < n; i++) {
        uint8_t h = p[i + 3] | 0x20;
        int high_nibble = (h >= '8' && h <= '9') || (h >= 'a' && h <= 'f');
        if (p[i] == '\\' && p[i + 1] == 'u' && (p[i + 2] | 0x20) == 'd' && high_nibble) return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!fz_utf8_valid(data, size) || max_depth(data, size) > 30) return 0;
    for (size_t i = 0; i + 5 < size; i++)
        if (data[i] == '\\' && data[i + 1] == 'u' && data[i + 2] == '0' && data[i + 3] == '0' && data[i + 4] == '0' &&
            data[i + 5] == '0')
            return 0;
    const int surrogates = has_surrogate_escape(data, size);
    char *text = fz_dup(data, size);
    char e1[160], e2[160], e3[160];
    pii_json a;
    pj_doc b;
    aj_doc c;
    const int ok_pii = pii_json_parse(text, size, &a, e1, sizeof e1) == 0;
    const int ok_pi = pj_parse(text, size, &b, e2, sizeof e2) == 0;
    const int ok_al = aj_parse(text, size, &c, e3, sizeof e3) == 0;
    if (!ok_pii && strstr(e1, "duplicate key") != NULL) {
        FZ_CHECK(!ok_pi, "pi_json accepts a duplicate key pii_json refuses");
        if (ok_al) aj_free(&c);
        free(text);
        return 0;
    }
    const int pi_limited = has_limited_number(data, size);
    if (ok_pii != ok_al || (ok_pi && !ok_al) || (!ok_pi && ok_al && !pi_limited)) {
        fprintf(stderr, "pii_json %s (%s), pi_json %s (%s), al_json %s (%s)\n", ok_pii ? "accepts" : "refuses",
                ok_pii ? "" : e1, ok_pi ? "accepts" : "refuses", ok_pi ? "" : e2, ok_al ? "accepts" : "refuses",
                ok_al ? "" : e3);
        abort();
    }
    if (ok_pii) {
        FZ_CHECK((a.type == PII_JSON_OBJECT) == (c.root.type == AJ_OBJECT), "the readers disagree on the type");
        if (ok_pi) FZ_CHECK((b.root.type == PJ_OBJECT) == (c.root.type == AJ_OBJECT), "the readers disagree");
        if (a.type == PII_JSON_OBJECT && !surrogates)
            FZ_CHECK(mj_is_object(text, size), "mini_json refuses an object the others accept");
        pii_json_free(&a);
        if (ok_pi) pj_free(&b);
        aj_free(&c);
    } else {
        FZ_CHECK(surrogates || !mj_is_object(text, size), "mini_json accepts an object the others refuse: %s", e1);
    }
    free(text);
    return 0;
}
