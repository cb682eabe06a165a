/*
 * pii_test.h: what the pii-detector test files share: the check counters (pii_tests.c) and the fake host
 * (pii_fake_host.c).
 */
#ifndef PII_TEST_H
#define PII_TEST_H

#include <stdint.h>

#include "policy_abi.h"

void check(int ok, const char *file, int line, const char *fmt, ...);
#define CHECK(cond, ...) check((cond) != 0, __FILE__, __LINE__, __VA_ARGS__)

/* A fake host: one call at a time, segments in a small table. */
typedef struct fake_seg {
    uint32_t kind, item, part;
    char text[1024];
} fake_seg;

struct pab_call {
    fake_seg segs[8];
    uint32_t nseg;
    char tags[32][2][64];
    uint32_t ntags;
    uint32_t deny_status;
    char deny_code[64], deny_message[512];
    char inserted[4][512];
    uint32_t inserted_item[4];
    uint32_t ninserted;
    int replaced;
    char error[256];
};

extern const pab_host_api fake_host;
extern uint64_t counters[128]; /* by counter id, in the order create defined them */
extern uint32_t ncounters;

/* The value of tag `key` set during the call, or "". */
const char *tag(const pab_call *c, const char *key);
/* An instance of plugin p with config `json` (a failed create is a failed check and returns NULL). */
pab_instance *make(const pab_plugin *p, const char *json);
/* A stream event; "[DONE]" is marked is_final. */
pab_stream_chunk chunk(const char *event, const char *data);

/* pii_ext_tests.c: the PolicyABI v1.1 segment kinds. */
void test_extended_segments(void);

#endif /* PII_TEST_H */
