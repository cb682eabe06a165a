/*
 * layout_v1_0.c: freezes the binary layout and the constants of PolicyABI v1.0 on LP64 (x86_64, aarch64
 * Linux and macOS). Plugins built against v1.0 depend on every offset below; a v1.x header may only ADD
 * members at the END of a struct and new constant values, so every assertion here must keep holding
 * for every later 1.x header. A failing assertion means the header broke binary compatibility.
 *
 *   cc -std=c11 -Wall -Wextra -Werror -I Sources/PolicyABI/include -o layout Tests/abi/layout_v1_0.c && ./layout
 *
 * It fails to COMPILE on a layout change (the _Static_asserts) and prints "ok" otherwise.
 */
#include "policy_abi.h"

#include <stddef.h>
#include <stdio.h>

#if !(defined(__LP64__) || defined(_LP64))
#error "layout_v1_0.c describes LP64 targets only"
#endif

/* Offset and size of one member. */
#define MEMBER(type, member, offset, size)                                                                     \
    _Static_assert(offsetof(type, member) == (offset), #type "." #member " moved");                           \
    _Static_assert(sizeof(((type *)0)->member) == (size), #type "." #member " changed size")
/* sizeof in v1.0. A later minor may grow a struct, never shrink it: change `==` to `>=` then. */
#define SIZE(type, size) _Static_assert(sizeof(type) == (size), #type " changed size")
/* A struct a later minor grew at its end (v1.1: pab_host_api): at least its v1.0 size. */
#define GROWN(type, size) _Static_assert(sizeof(type) >= (size), #type " shrank")

/* Scalar typedefs: fixed-width, never C enums (rule 3). */
_Static_assert(sizeof(pab_verdict) == 4, "pab_verdict");
_Static_assert(sizeof(pab_rc) == 4, "pab_rc");
_Static_assert(sizeof(pab_log_level) == 4, "pab_log_level");
_Static_assert(sizeof(pab_api) == 4, "pab_api");
_Static_assert(sizeof(pab_header_set) == 4, "pab_header_set");
_Static_assert(sizeof(pab_end_reason) == 4, "pab_end_reason");
_Static_assert(sizeof(pab_segment_kind) == 4, "pab_segment_kind");

SIZE(pab_view, 16);
MEMBER(pab_view, ptr, 0, 8);
MEMBER(pab_view, len, 8, 8);

SIZE(pab_segment, 48);
MEMBER(pab_segment, struct_size, 0, 4);
MEMBER(pab_segment, kind, 4, 4);
MEMBER(pab_segment, role, 8, 16);
MEMBER(pab_segment, text, 24, 16);
MEMBER(pab_segment, item_index, 40, 4);
MEMBER(pab_segment, part_index, 44, 4);

GROWN(pab_host_api, 168);
MEMBER(pab_host_api, struct_size, 0, 4);
MEMBER(pab_host_api, abi_major, 4, 2);
MEMBER(pab_host_api, abi_minor, 6, 2);
MEMBER(pab_host_api, log, 8, 8);
MEMBER(pab_host_api, log_enabled, 16, 8);
MEMBER(pab_host_api, get_header, 24, 8);
MEMBER(pab_host_api, set_header, 32, 8);
MEMBER(pab_host_api, get_attribute, 40, 8);
MEMBER(pab_host_api, set_tag, 48, 8);
MEMBER(pab_host_api, get_tag, 56, 8);
MEMBER(pab_host_api, tag_count, 64, 8);
MEMBER(pab_host_api, tag_at, 72, 8);
MEMBER(pab_host_api, deny, 80, 8);
MEMBER(pab_host_api, replace_body, 88, 8);
MEMBER(pab_host_api, set_error, 96, 8);
MEMBER(pab_host_api, segment_count, 104, 8);
MEMBER(pab_host_api, get_segment, 112, 8);
MEMBER(pab_host_api, replace_segment_text, 120, 8);
MEMBER(pab_host_api, insert_delta, 128, 8);
MEMBER(pab_host_api, counter_define, 136, 8);
MEMBER(pab_host_api, counter_add, 144, 8);
MEMBER(pab_host_api, now_ns, 152, 8);
MEMBER(pab_host_api, deadline_ns, 160, 8);

SIZE(pab_request, 80);
MEMBER(pab_request, struct_size, 0, 4);
MEMBER(pab_request, api, 4, 4);
MEMBER(pab_request, method, 8, 16);
MEMBER(pab_request, path, 24, 16);
MEMBER(pab_request, content_type, 40, 16);
MEMBER(pab_request, body, 56, 16);
MEMBER(pab_request, stream, 72, 4);
MEMBER(pab_request, reserved0, 76, 4);
/* reserved0 fills what would be tail padding, so a member appended in v1.x starts at 80 and PAB_HAS is exact. */

SIZE(pab_response, 40);
MEMBER(pab_response, struct_size, 0, 4);
MEMBER(pab_response, http_status, 4, 4);
MEMBER(pab_response, content_type, 8, 16);
MEMBER(pab_response, body, 24, 16);

SIZE(pab_stream_chunk, 56);
MEMBER(pab_stream_chunk, struct_size, 0, 4);
MEMBER(pab_stream_chunk, index, 8, 8);
MEMBER(pab_stream_chunk, event, 16, 16);
MEMBER(pab_stream_chunk, data, 32, 16);
MEMBER(pab_stream_chunk, is_final, 48, 4);
MEMBER(pab_stream_chunk, reserved0, 52, 4);

SIZE(pab_stream_end, 24);
MEMBER(pab_stream_end, struct_size, 0, 4);
MEMBER(pab_stream_end, reason, 4, 4);
MEMBER(pab_stream_end, events_seen, 8, 8);
MEMBER(pab_stream_end, bytes_seen, 16, 8);

SIZE(pab_create_args, 56);
MEMBER(pab_create_args, struct_size, 0, 4);
MEMBER(pab_create_args, host, 8, 8);
MEMBER(pab_create_args, host_instance, 16, 8);
MEMBER(pab_create_args, policy_name, 24, 16);
MEMBER(pab_create_args, config_json, 40, 16);

SIZE(pab_plugin, 112);
MEMBER(pab_plugin, struct_size, 0, 4);
MEMBER(pab_plugin, abi_major, 4, 2);
MEMBER(pab_plugin, abi_minor, 6, 2);
MEMBER(pab_plugin, name, 8, 8);
MEMBER(pab_plugin, version, 16, 8);
MEMBER(pab_plugin, description, 24, 8);
MEMBER(pab_plugin, capabilities, 32, 8);
MEMBER(pab_plugin, config_schema_json, 40, 8);
MEMBER(pab_plugin, create, 48, 8);
MEMBER(pab_plugin, destroy, 56, 8);
MEMBER(pab_plugin, exchange_begin, 64, 8);
MEMBER(pab_plugin, exchange_end, 72, 8);
MEMBER(pab_plugin, on_request, 80, 8);
MEMBER(pab_plugin, on_response, 88, 8);
MEMBER(pab_plugin, on_stream_chunk, 96, 8);
MEMBER(pab_plugin, on_stream_end, 104, 8);
_Static_assert(PAB_PLUGIN_SIZE_V1_0 == 112, "PAB_PLUGIN_SIZE_V1_0 is the v1.0 descriptor size forever");

/* PAB_HAS must see v1.0 members in a v1.0-sized struct, and nothing past it. */
_Static_assert(offsetof(pab_host_api, deadline_ns) + sizeof(void *) == 168, "last v1.0 host function");

/* Constants are ABI too: values may be added, never changed. */
_Static_assert(PAB_ABI_MAJOR == 1, "major");
_Static_assert(PAB_VERDICT_ALLOW == 0 && PAB_VERDICT_DENY == 1 && PAB_VERDICT_MUTATE == 2 && PAB_VERDICT_DROP == 3 &&
                   PAB_VERDICT_ERROR == 4,
               "verdicts");
_Static_assert(PAB_OK == 0 && PAB_ERR_INVALID == 1 && PAB_ERR_NOT_FOUND == 2 && PAB_ERR_FAILED == 3, "return codes");
_Static_assert(PAB_LOG_TRACE == 0 && PAB_LOG_DEBUG == 1 && PAB_LOG_INFO == 2 && PAB_LOG_WARN == 3 && PAB_LOG_ERROR == 4,
               "log levels");
_Static_assert(PAB_CAP_MUTATES_REQUEST == 1 && PAB_CAP_MUTATES_RESPONSE == 2 && PAB_CAP_NEEDS_FULL_STREAM == 4 &&
                   PAB_CAP_SERIALIZE_CALLS == 8 && PAB_CAP_ALL_V1_0 == 15,
               "capabilities");
_Static_assert(PAB_API_CHAT_COMPLETIONS == 1 && PAB_API_RESPONSES == 2, "apis");
_Static_assert(PAB_ATTR_REQUEST_ID == 1 && PAB_ATTR_ROUTE == 2 && PAB_ATTR_MODEL == 3 && PAB_ATTR_CLIENT_ID == 4 &&
                   PAB_ATTR_CLIENT_IP == 5 && PAB_ATTR_POLICY_NAME == 6 && PAB_ATTR_PACK_NAME == 7 &&
                   PAB_ATTR_PACK_VERSION == 8 && PAB_ATTR_TARGET_ID == 9 && PAB_ATTR_STATUS == 10 &&
                   PAB_ATTR_LATENCY_MS == 11 && PAB_ATTR_USAGE_JSON == 12 && PAB_ATTR_VERDICTS_JSON == 13 &&
                   PAB_ATTR_STREAM == 14,
               "attribute ids");
_Static_assert(PAB_HEADERS_REQUEST == 1 && PAB_HEADERS_RESPONSE == 2, "header sets");
_Static_assert(PAB_END_COMPLETED == 0 && PAB_END_UPSTREAM_ERROR == 1 && PAB_END_CLIENT_DISCONNECT == 2 &&
                   PAB_END_DENIED == 3 && PAB_END_TIMEOUT == 4 && PAB_END_HOST_SHUTDOWN == 5 &&
                   PAB_END_POLICY_ERROR == 6 && PAB_END_REJECTED == 7,
               "end reasons");
_Static_assert(PAB_SEGMENT_MESSAGE == 1 && PAB_SEGMENT_INPUT == 2 && PAB_SEGMENT_OUTPUT == 3 && PAB_SEGMENT_DELTA == 4,
               "segment kinds");

int main(void) {
    /* PAB_HAS at run time, on a v1.0-sized table: the last v1.0 member is there. */
    pab_host_api host = {.struct_size = 168};
    if (!PAB_HAS(&host, pab_host_api, deadline_ns)) {
        puts("PAB_HAS failed");
        return 1;
    }
    host.struct_size = 160;
    if (PAB_HAS(&host, pab_host_api, deadline_ns)) {
        puts("PAB_HAS accepted a missing member");
        return 1;
    }
    /* The entry symbol's name carries the major. */
    if (PAB_ENTRY_SYMBOL[sizeof PAB_ENTRY_SYMBOL - 2] != '1') {
        puts("entry symbol does not end in the major");
        return 1;
    }
    puts("ok");
    return 0;
}
