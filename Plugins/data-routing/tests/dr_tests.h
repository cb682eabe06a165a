/*
 * dr_tests.h: the harness shared by the data-routing unit tests (dr_tests.c, dr_rules_tests.c): CHECK, the
 * plugin under test, and helpers that create instances and run one on_request through the mock host.
 */
#ifndef DR_TESTS_H
#define DR_TESTS_H

#include "mock_host.h"
#include "policy_abi.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

extern int passed, failed;
extern pthread_mutex_t check_lock;
/* The condition is evaluated before the lock: it may itself run CHECKs (request() does). */
#define CHECK(cond, ...)                                                                                       \
    do {                                                                                                       \
        int ok_ = (cond) ? 1 : 0;                                                                              \
        pthread_mutex_lock(&check_lock);                                                                       \
        if (ok_) {                                                                                             \
            passed++;                                                                                          \
        } else {                                                                                               \
            failed++;                                                                                          \
            printf("FAIL %s:%d: ", __func__, __LINE__);                                                        \
            printf(__VA_ARGS__);                                                                               \
            printf("\n");                                                                                      \
        }                                                                                                      \
        pthread_mutex_unlock(&check_lock);                                                                     \
    } while (0)

/* The descriptor under test: the linked-in sources, or the .so's. */
extern const pab_plugin *plugin;

pab_view v(const char *s);
/* An instance created on `host` (NULL on failure, with the message in err). make uses mh_api. */
pab_instance *make_on(const pab_host_api *host, const char *config, char *err, size_t cap);
pab_instance *make(const char *config, char *err, size_t cap);
/* A candidate target. declared/zdr/no_training as flags, days -1 = undeclared, region "" = none. */
pab_candidate target(const char *id, int declared, int zdr, int no_training, int64_t days, const char *region);
/* One on_request over `n` candidates; leaves the call for inspection (mh_call_free it). */
pab_verdict request(pab_instance *inst, struct pab_call *c, const pab_candidate *cands, size_t n);
/* 1 when the plugin excluded candidate i with exactly `reason` (reason NULL: when it did not exclude it). */
int excluded_for(const struct pab_call *c, uint32_t i, const char *reason);
/* The value of the tag "data-routing.excluded", or "(none)". */
const char *tag(const struct pab_call *c);

/* dr_rules_tests.c */
void test_config_errors(void);
void test_config_accepted(void);
void test_zero_data_retention(void);
void test_no_training(void);
void test_retention(void);
void test_regions(void);
void test_block_and_allow(void);
void test_other_exclusions(void);
void test_selection_log(void);

#endif /* DR_TESTS_H */
