/* injection_driver.c: a small C driver for injection_eval.py. It links the prompt-injection detector core
 * (Plugins/prompt-injection, without the ABI glue) and scores conversations read as JSON lines.
 *
 *   injection_driver score [CONFIG_JSON]          < cases.jsonl   > results.tsv
 *   injection_driver time ITERATIONS [CONFIG_JSON] < cases.jsonl  > microseconds.tsv
 *   injection_driver latency ROUNDS CONFIG_JSON... < cases.jsonl  > summary.tsv
 *
 * Input line: {"m": [["user", "text"], ["tool", "text"], ...]}; each element is one message (its index
 * is its turn). score prints "score<TAB>families<TAB>detected" per line; time prints the mean CPU time of
 * one pi_scan_messages call in microseconds per line. latency times single warm calls (each after one
 * untimed call on the same text): in each round every config scans every case, interleaved, so a load
 * spike on the shared machine hits every config alike; it prints, per config, the median, 10th and 90th percentile of the
 * CPU time per call in microseconds per 1024 bytes of message text, and the number of samples.
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

/* Messages of one case line; the JSON document owns the texts. */
typedef struct bench_case {
    pab_json doc;
    pi_message *msgs;
    size_t n, bytes;
} bench_case;

static int read_case(const char *line, size_t n, uint32_t scan_roles, bench_case *c) {
    pab_json_error jerr;
    if (pab_json_parse(line, n, 0, &c->doc, &jerr) != 0) {
        fprintf(stderr, "input: invalid JSON at byte %zu: %s\n", jerr.offset, jerr.message);
        return -1;
    }
    const pab_json *m = pab_json_get(&c->doc, "m");
    if (m == NULL || m->type != PAB_JSON_ARRAY) {
        fprintf(stderr, "input: missing \"m\" array\n");
        return -1;
    }
    c->msgs = calloc(m->count ? m->count : 1, sizeof(pi_message));
    c->n = c->bytes = 0;
    for (size_t i = 0; i < m->count; i++) {
        const pab_json *pair = &m->items[i];
        if (pair->type != PAB_JSON_ARRAY || pair->count != 2 || pair->items[0].type != PAB_JSON_STRING ||
            pair->items[1].type != PAB_JSON_STRING) {
            fprintf(stderr, "input: messages are [role, text] pairs\n");
            return -1;
        }
        uint32_t role = pi_role_bit(pair->items[0].str, pair->items[0].str_len);
        if (!(role & scan_roles)) continue;
        c->msgs[c->n++] = (pi_message){(const uint8_t *)pair->items[1].str, pair->items[1].str_len,
                                       role == PI_ROLE_TOOL ? PI_SOURCE_TOOL : PI_SOURCE_USER, (uint32_t)i};
        c->bytes += pair->items[1].str_len;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* latency ROUNDS CONFIG...: see the header comment. */
static int latency(long rounds, int nconf, char **confs) {
    pi_config *cfg = calloc((size_t)nconf, sizeof(pi_config));
    pi_detector **det = calloc((size_t)nconf, sizeof(pi_detector *));
    char err[512];
    for (int k = 0; k < nconf; k++) {
        if (pi_config_parse(confs[k], strlen(confs[k]), &cfg[k], err, sizeof(err)) != 0 ||
            (det[k] = pi_detector_new(&cfg[k].detector, err, sizeof(err))) == NULL) {
            fprintf(stderr, "config %s: %s\n", confs[k], err);
            return 2;
        }
    }
    bench_case *cases = NULL;
    size_t ncases = 0, capcases = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        if (ncases == capcases) {
            capcases = capcases ? capcases * 2 : 64;
            cases = realloc(cases, capcases * sizeof(bench_case));
        }
        /* Every config scans with the roles of the first one. */
        if (read_case(line, (size_t)n, cfg[0].scan_roles, &cases[ncases]) != 0) return 2;
        ncases++;
    }
    size_t nsamples = (size_t)rounds * ncases;
    double *t = calloc((size_t)nconf * (nsamples ? nsamples : 1), sizeof(double));
    pi_result r;
    for (size_t c = 0; c < ncases; c++) { /* warm up */
        for (int k = 0; k < nconf; k++) pi_scan_messages(det[k], cases[c].msgs, cases[c].n, &r);
    }
    for (long it = 0; it < rounds; it++) {
        for (size_t c = 0; c < ncases; c++) {
            for (int k = 0; k < nconf; k++) {
                /* One untimed call first: the figure is a warm scan (text and tables in cache), like the
                 * time mode's, rather than whichever config happened to touch a new text first. */
                pi_scan_messages(det[k], cases[c].msgs, cases[c].n, &r);
                double t0 = now_us();
                pi_scan_messages(det[k], cases[c].msgs, cases[c].n, &r);
                double dt = now_us() - t0;
                t[(size_t)k * nsamples + (size_t)it * ncases + c] = dt * 1024.0 / (double)(cases[c].bytes ? cases[c].bytes : 1);
            }
        }
    }
    printf("config\tmedian_us_per_kb\tp10\tp90\tsamples\n");
    for (int k = 0; k < nconf; k++) {
        double *v = t + (size_t)k * nsamples;
        qsort(v, nsamples, sizeof(double), cmp_double);
        printf("%s\t%.2f\t%.2f\t%.2f\t%zu\n", confs[k], v[nsamples / 2], v[nsamples / 10], v[nsamples * 9 / 10], nsamples);
        pi_detector_free(det[k]);
        pi_config_free(&cfg[k]);
    }
    for (size_t c = 0; c < ncases; c++) {
        free(cases[c].msgs);
        pab_json_free(&cases[c].doc);
    }
    free(cases);
    free(t);
    free(line);
    free(det);
    free(cfg);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "latency") == 0) return latency(strtol(argv[2], NULL, 10), argc - 3, argv + 3);
    if (argc < 2 || (strcmp(argv[1], "score") != 0 && strcmp(argv[1], "time") != 0)) {
        fprintf(stderr, "usage: %s score [CONFIG_JSON] | time ITERATIONS [CONFIG_JSON] | latency ROUNDS CONFIG_JSON...\n",
                argv[0]);
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
