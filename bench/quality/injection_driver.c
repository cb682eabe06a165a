/* injection_driver.c: a small C driver for injection_eval.py. It links the prompt-injection detector core
 * (Plugins/prompt-injection, without the ABI glue) and scores conversations read as JSON lines.
 *
 *   injection_driver score [CONFIG_JSON]          < cases.jsonl   > results.tsv
 *   injection_driver time ITERATIONS [CONFIG_JSON] < cases.jsonl  > microseconds.tsv
 *
 * Input line: {"m": [["user", "text"], ["tool", "text"], ...]}; each element is one message (its index
 * is its turn). score prints "score<TAB>families<TAB>detected" per line; time prints the mean wall time of
 * one pi_scan_messages call in microseconds per line.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pi_config.h"
#include "pi_detector.h"
#include "pab_json.h"

/* CPU time of this thread: the machine is shared (2 cores, parallel builds), and wall time would measure
 * the scheduler rather than the detector. */
static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
    if (argc < 2 || (strcmp(argv[1], "score") != 0 && strcmp(argv[1], "time") != 0)) {
        fprintf(stderr, "usage: %s score [CONFIG_JSON] | time ITERATIONS [CONFIG_JSON]\n", argv[0]);
        return 2;
    }
    int timing = strcmp(argv[1], "time") == 0;
    long iterations = timing && argc > 2 ? strtol(argv[2], NULL, 10) : 1;
    const char *cfg_json = argc > (timing ? 3 : 2) ? argv[timing ? 3 : 2] : "{}";
    char err[512];
    pi_config cfg;
    if (pi_config_parse(cfg_json, strlen(cfg_json), &cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "config: %s\n", err);
        return 2;
    }
    pi_detector *d = pi_detector_new(&cfg.detector, err, sizeof(err));
    if (d == NULL) {
        fprintf(stderr, "detector: %s\n", err);
        return 2;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        pab_json doc;
        pab_json_error jerr;
        if (pab_json_parse(line, (size_t)n, 0, &doc, &jerr) != 0) {
            fprintf(stderr, "input: invalid JSON at byte %zu: %s\n", jerr.offset, jerr.message);
            return 2;
        }
        const pab_json *m = pab_json_get(&doc, "m");
        if (m == NULL || m->type != PAB_JSON_ARRAY) {
            fprintf(stderr, "input: missing \"m\" array\n");
            return 2;
        }
        pi_message *msgs = calloc(m->count ? m->count : 1, sizeof(pi_message));
        size_t k = 0;
        for (size_t i = 0; i < m->count; i++) {
            const pab_json *pair = &m->items[i];
            if (pair->type != PAB_JSON_ARRAY || pair->count != 2 || pair->items[0].type != PAB_JSON_STRING ||
                pair->items[1].type != PAB_JSON_STRING) {
                fprintf(stderr, "input: messages are [role, text] pairs\n");
                return 2;
            }
            uint32_t role = pi_role_bit(pair->items[0].str, pair->items[0].str_len);
            if (!(role & cfg.scan_roles)) continue;
            msgs[k++] = (pi_message){(const uint8_t *)pair->items[1].str, pair->items[1].str_len,
                                     role == PI_ROLE_TOOL ? PI_SOURCE_TOOL : PI_SOURCE_USER, (uint32_t)i};
        }
        pi_result r;
        if (timing) {
            for (int w = 0; w < 3; w++) pi_scan_messages(d, msgs, k, &r);
            double t0 = now_us();
            for (long it = 0; it < iterations; it++) pi_scan_messages(d, msgs, k, &r);
            printf("%.3f\n", (now_us() - t0) / (double)iterations);
        } else {
            if (pi_scan_messages(d, msgs, k, &r) != 0) {
                fprintf(stderr, "scan failed\n");
                return 2;
            }
            char fams[256], groups[1024];
            pi_format_families(r.families, fams, sizeof(fams));
            pi_format_groups(d, &r, groups, sizeof(groups));
            printf("%.4f\t%s\t%d\t%s\n", r.score, fams[0] ? fams : "-", r.detected, groups[0] ? groups : "-");
        }
        free(msgs);
        pab_json_free(&doc);
    }
    free(line);
    pi_detector_free(d);
    pi_config_free(&cfg);
    return 0;
}
