/*
 * layout_v1_1.c: freezes what PolicyABI v1.1 added, on LP64 (as layout_v1_0.c does for v1.0): the host
 * functions appended to pab_host_api and the pab_candidate struct, plus the new constants.
 *
 *   cc -std=c11 -Wall -Wextra -Werror -I Sources/PolicyABI/include -o layout Tests/abi/layout_v1_1.c && ./layout
 */
#include "policy_abi.h"

#include <stddef.h>
#include <stdio.h>

#if !defined(__LP64__)
#error "layout_v1_1.c describes LP64 targets only"
#endif

#define MEMBER(type, member, offset, size)                                                                     \
    _Static_assert(offsetof(type, member) == (offset), #type "." #member " moved");                           \
    _Static_assert(sizeof(((type *)0)->member) == (size), #type "." #member " changed size")

_Static_assert(PAB_ABI_MINOR >= 1, "this header is older than v1.1");
_Static_assert(PAB_SEGMENT_TOOL_ARGUMENTS == 5 && PAB_SEGMENT_REFUSAL == 6 && PAB_SEGMENT_TOOL_DESCRIPTION == 7,
               "segment kinds");
_Static_assert(PAB_CAP_EXTENDED_SEGMENTS == (1ull << 4), "capability bit");
_Static_assert(PAB_ATTR_ATTEMPTS_JSON == 15, "attribute id");

MEMBER(pab_host_api, candidate_count, 168, 8);
MEMBER(pab_host_api, get_candidate, 176, 8);
MEMBER(pab_host_api, exclude_candidate, 184, 8);
_Static_assert(sizeof(pab_host_api) >= 192, "pab_host_api shrank");

_Static_assert(sizeof(pab_candidate) == 96, "pab_candidate changed size");
MEMBER(pab_candidate, struct_size, 0, 4);
MEMBER(pab_candidate, declared, 4, 4);
MEMBER(pab_candidate, id, 8, 16);
MEMBER(pab_candidate, provider, 24, 16);
MEMBER(pab_candidate, model, 40, 16);
MEMBER(pab_candidate, region, 56, 16);
MEMBER(pab_candidate, zero_data_retention, 72, 4);
MEMBER(pab_candidate, no_training, 76, 4);
MEMBER(pab_candidate, retention_days, 80, 8);
MEMBER(pab_candidate, excluded, 88, 4);
MEMBER(pab_candidate, reserved0, 92, 4);

int main(void) {
    puts("ok");
    return 0;
}
