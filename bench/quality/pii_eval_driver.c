/*
 * pii_eval_driver.c: runs the pii-detector core for bench/quality/pii_eval.py (which compiles it).
 *
 *   pii_eval_driver scan          stdin: records "<byte length>\n<bytes>"; stdout: one line per record,
 *                                 "TYPE start end" triples (byte offsets) separated by tabs, empty if none
 *   pii_eval_driver bench N       same input; stdout: per record, the median and p90 wall time of N calls to
 *                                 pii_scan in nanoseconds: "median p90"
 *   pii_eval_driver stream N D    per record: feed it as deltas of D bytes through pii_stream (N rounds);
 *                                 stdout: "median_ns_per_delta deltas"
 *
 * Uses the default configuration: every built-in entity type, no custom patterns.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pii_detect.h"
#include "pii_stream.h"

static char *read_record(size_t *len) {
    unsigned long n;
    if (scanf("%lu", &n) != 1) return NULL;
    if (getchar() != '\n') return NULL;
    char *buf = malloc(n + 1);
    if (buf == NULL || fread(buf, 1, n, stdin) != n) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s scan | bench N | stream N D\n", argv[0]);
        return 64;
    }
    const pii_config cfg = {PII_ALL_BUILTIN_TYPES, NULL, 0};
    const char *mode = argv[1];
    int rounds = argc > 2 ? atoi(argv[2]) : 1;
    size_t delta = argc > 3 ? (size_t)atoi(argv[3]) : 8;
    if (rounds < 1) rounds = 1;
    pii_match *m = malloc(65536 * sizeof *m);
    long long *t = malloc((size_t)rounds * sizeof *t);
    if (m == NULL || t == NULL) return 1;
    size_t len;
    char *text;
    while ((text = read_record(&len)) != NULL) {
        if (strcmp(mode, "scan") == 0) {
            size_t n = pii_scan(&cfg, text, len, m, 65536);
            if (n == PII_SCAN_ERROR) return 1;
            for (size_t k = 0; k < n && k < 65536; k++) {
                printf("%s%s %zu %zu", k ? "\t" : "", pii_type_name(&cfg, m[k].type), m[k].start, m[k].end);
            }
            printf("\n");
        } else if (strcmp(mode, "bench") == 0) {
            volatile size_t sink = 0;
            for (int r = 0; r < rounds; r++) {
                long long a = now_ns();
                sink += pii_scan(&cfg, text, len, m, 65536);
                t[r] = now_ns() - a;
            }
            (void)sink;
            qsort(t, (size_t)rounds, sizeof *t, cmp_ll);
            printf("%lld %lld\n", t[rounds / 2], t[(rounds * 9) / 10]);
        } else if (strcmp(mode, "stream") == 0) {
            pii_redaction red;
            memset(&red, 0, sizeof red);
            strcpy(red.label_format, "[{TYPE}]");
            size_t deltas = (len + delta - 1) / delta;
            for (int r = 0; r < rounds; r++) {
                pii_stream s;
                memset(&s, 0, sizeof s);
                pii_buf out = {0};
                pii_found f;
                memset(&f, 0, sizeof f);
                long long a = now_ns();
                for (size_t at = 0; at < len; at += delta) {
                    size_t n = len - at < delta ? len - at : delta;
                    pii_buf_clear(&out);
                    if (pii_stream_feed(&s, &cfg, &red, 8192, text + at, n, 0, &out, &f) != 0) return 1;
                }
                pii_buf_clear(&out);
                if (pii_stream_feed(&s, &cfg, &red, 8192, "", 0, 1, &out, &f) != 0) return 1;
                t[r] = (now_ns() - a) / (long long)(deltas ? deltas : 1);
                pii_buf_free(&out);
                pii_stream_free(&s);
            }
            qsort(t, (size_t)rounds, sizeof *t, cmp_ll);
            printf("%lld %zu\n", t[rounds / 2], deltas);
        } else {
            fprintf(stderr, "unknown mode %s\n", mode);
            return 64;
        }
        free(text);
    }
    free(m);
    free(t);
    return 0;
}
