/*
 * fuzz_pi_detect.c: the prompt-injection detector core on untrusted text: Unicode normalisation
 * (pi_normalize.c with the fold table), base64 / hex payload discovery and decoding (pi_decode.c), the
 * token / phrase / rule passes behind pi_scan_text, and the multi-turn scoring of pi_scan_messages.
 *
 * Input: byte 0 options (bit 0 fold Unicode, bit 1 fold homoglyphs, bit 2 the detector with everything
 * off except phrases), then messages split on 0x1e, each [meta][text]: meta bit 0 = tool source,
 * bit 1 = starts a new turn. Texts are raw bytes: normalisation must cope with invalid UTF-8 itself.
 * Checks, beyond the sanitizers: normalised text is NUL-terminated, `lower` is `cased` lower-cased byte for
 * byte; decoded payloads pass the text test and lie inside the text; scores stay in [0, 1];
 * the group / family formatters always terminate within their buffer.
 */
#include "pi_decode.h"
#include "pi_detector.h"
#include "pi_normalize.h"

#include "fuzz_util.h"

static pi_detector *detectors[2];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    static const char *const patterns[] = {"reveal your hidden rules", "send .* to http"};
    char err[256];
    pi_options o;
    pi_options_init(&o);
    o.attack_patterns = patterns;
    o.n_attack_patterns = 2;
    o.max_decode_depth = 4;
    detectors[0] = pi_detector_new(&o, err, sizeof err);
    pi_options_init(&o);
    o.decode_base64 = o.decode_hex = 0;
    o.normalize_unicode = o.detect_homoglyphs = 0;
    o.detect_chat_template_tokens = o.detect_role_markers = 0;
    o.multi_turn_decay = 0.0;
    detectors[1] = pi_detector_new(&o, err, sizeof err);
    if (!detectors[0] || !detectors[1]) {
        fprintf(stderr, "pi_detector_new: %s\n", err);
        abort();
    }
    return 0;
}

typedef struct payload_ctx {
    size_t len;
    unsigned calls;
} payload_ctx;

static int on_payload(void *ctx, size_t offset, const uint8_t *text, size_t n) {
    payload_ctx *p = ctx;
    FZ_CHECK(offset < p->len, "payload offset %zu outside the text (%zu)", offset, p->len);
    FZ_CHECK(n <= p->len, "decoded payload longer than its encoding");
    /* "Looks like text" tolerates 5 % stray bytes (a heuristic): the payload is normalised like any text. */
    FZ_CHECK(pi_looks_like_text(text, n), "payload reported that does not look like text");
    return ++p->calls >= 64; /* stop eventually: the callback may end the search */
}

static void check_normalize(const uint8_t *t, size_t n, pi_norm_flags f) {
    pi_norm nm;
    FZ_CHECK(pi_normalize(t, n, f, &nm) == 0, "normalize failed");
    FZ_CHECK(nm.cased[nm.len] == '\0' && nm.lower[nm.len] == '\0', "not NUL-terminated");
    for (size_t i = 0; i < nm.len; i++) {
        unsigned char c = (unsigned char)nm.cased[i];
        unsigned char l = c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
        FZ_CHECK((unsigned char)nm.lower[i] == l, "lower[%zu] is not cased[%zu] lower-cased", i, i);
    }
    if (nm.hidden) FZ_CHECK(strlen(nm.hidden) == nm.hidden_len, "hidden text length");
    payload_ctx pc = {nm.len, 0};
    FZ_CHECK(pi_find_base64(nm.cased, nm.len, on_payload, &pc) == 0, "base64 search failed");
    pc.calls = 0;
    FZ_CHECK(pi_find_hex(nm.lower, nm.len, on_payload, &pc) == 0, "hex search failed");
    pi_norm_free(&nm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const uint8_t opt = data[0];
    pi_norm_flags nf = {opt & 1, (opt >> 1) & 1};
    const pi_detector *d = detectors[(opt >> 2) & 1];
    fz_input in = {data + 1, size - 1, 0, 0};
    pi_message msgs[32];
    size_t n = 0;
    uint32_t turn = 0;
    const uint8_t *piece;
    size_t len;
    while (n < 32 && fz_next(&in, &piece, &len)) {
        uint8_t meta = len ? piece[0] : 0;
        if (len) piece++, len--;
        if ((meta & 2) && n > 0) turn++;
        msgs[n].text = (const uint8_t *)fz_dup(piece, len); /* its own allocation: ASan sees overreads */
        msgs[n].len = len;
        msgs[n].source = meta & 1 ? PI_SOURCE_TOOL : PI_SOURCE_USER;
        msgs[n].turn = turn;
        n++;
    }
    char buf[64];
    for (size_t i = 0; i < n; i++) {
        check_normalize(msgs[i].text, msgs[i].len, nf);
        pi_result r;
        FZ_CHECK(pi_scan_text(d, msgs[i].text, msgs[i].len, msgs[i].source, &r) == 0, "scan failed");
        FZ_CHECK(r.score >= 0.0 && r.score <= 1.0, "score %f outside [0,1]", r.score);
        size_t w = pi_format_groups(d, &r, buf, 7);
        FZ_CHECK(w < 7 && buf[w] == '\0', "groups overflow a small buffer");
        w = pi_format_families(r.families, buf, sizeof buf);
        FZ_CHECK(w < sizeof buf && buf[w] == '\0', "families overflow");
    }
    pi_result all;
    FZ_CHECK(pi_scan_messages(d, msgs, n, &all) == 0, "scan_messages failed");
    FZ_CHECK(all.score >= 0.0 && all.score <= 1.0, "conversation score %f outside [0,1]", all.score);
    for (size_t i = 0; i < n; i++) free((void *)msgs[i].text);
    return 0;
}
