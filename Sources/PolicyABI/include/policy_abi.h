/*
 * policy_abi.h: PolicyABI v1, the C ABI between gatewayhost (the host) and policy plugins (.so files).
 *
 * This header is the plugin author's whole manual. A plugin needs this file and a C compiler (or any
 * language that can export a C function: Swift, Rust, Zig); it never needs the gateway's sources.
 *
 *   cc -shared -fPIC -O2 -fvisibility=hidden -I path/to/include -o plugins.d/my-policy.so my_policy.c
 *
 * ---------------------------------------------------------------------------------------------------
 * THE FOUR RULES
 *  1. MEMORY. Everything the host passes in (views, structs, the pab_call handle) is owned by the host,
 *     read-only, and valid only until the function it was passed to returns. Copy what you keep.
 *     Everything a plugin passes to a host function is copied before that function returns; free or
 *     reuse it whenever you like. No allocator and no language object (Swift, Rust, C++) ever crosses
 *     the boundary. The only plugin-owned objects the host holds are opaque pointers: the descriptor and
 *     its strings (static, process lifetime), a pab_instance (until destroy), a pab_exchange (until
 *     exchange_end).
 *  2. THREADS. The entry function, create and destroy run on the host's control thread, never
 *     concurrently with each other. Hooks run on the host's policy worker threads, never on the network
 *     event loop, so a hook may block briefly, but every millisecond it blocks is added to the request.
 *     (v1.3: a plugin that sets PAB_CAP_INLINE_SAFE gives up that guarantee: its hooks may run on an event
 *     loop thread, and then must not block at all. Everything else in this rule holds as written.)
 *     Hooks of ONE instance run concurrently for DIFFERENT exchanges: an instance must be reentrant
 *     (read-only after create, or internally synchronised), unless it sets PAB_CAP_SERIALIZE_CALLS.
 *     Hooks of ONE exchange are serialised (each happens-before the next) but may run on different OS
 *     threads: never keep thread-locals across hooks. The host API is thread-safe; functions taking a
 *     pab_call * work only inside the hook that received it, on the calling thread. Background threads
 *     a plugin starts may call only log, counter_add and now_ns.
 *  3. VALUES. Verdicts, return codes, enums and flags are fixed-width unsigned integers, never C enums.
 *     The host treats any value it does not know as an error. Never unwind (C++ exceptions, Rust panics)
 *     across the boundary: catch everything in every function you export or hand to the host.
 *  4. GROWTH. Structs only ever grow at the end, and every struct that crosses the boundary starts with
 *     its size. A plugin built against v1.0 keeps loading on every v1.x host. A plugin that uses a member
 *     added after v1.0 must check for it first with PAB_HAS(struct_ptr, type, member).
 *
 * TRUST. A plugin runs inside the gateway process with its full privileges: a crash, an abort or an
 * exit() in a plugin takes the gateway down. Only install plugins you trust; the host checks file
 * ownership, permissions and an optional sha256 pin before it opens a file, but cannot sandbox code.
 * ---------------------------------------------------------------------------------------------------
 *
 * Changes by minor (each only appends; a plugin built against an older minor behaves as before):
 *   1.1  segment kinds PAB_SEGMENT_TOOL_ARGUMENTS, _REFUSAL, _TOOL_DESCRIPTION behind the opt-in capability
 *        PAB_CAP_EXTENDED_SEGMENTS; attribute PAB_ATTR_ATTEMPTS_JSON; candidate targets in on_request
 *        (candidate_count, get_candidate, exclude_candidate, pab_candidate); documented: the composition rule of insert_delta, the credential
 *        headers get_header never shows, which response headers get_header reads and set_header may set.
 *   1.2  attribute PAB_ATTR_COST_USD; PAB_API_EMBEDDINGS: POST /v1/embeddings passes on_request (its input strings are PAB_SEGMENT_INPUT
 *        segments, role "user"; an answer has no segments). A plugin built against an older minor sees it
 *        too, with this api value: redaction and blocking by segment keep working. Documented: after a
 *        config reload, destroy of the replaced instances may run on another thread than their create
 *        (still never concurrently with any create or destroy).
 *   1.3  capability PAB_CAP_INLINE_SAFE: the plugin promises hooks that never block and stay short, and the
 *        host may then call them on its network event-loop threads (rule 2 has the exception).
 *
 * Compatibility: this file is append-only within major version 1. Fields and host functions are never
 * reordered, removed, renamed or reused. The sha256 of this file is recorded next to its version in
 * Sources/PolicyABI/ABI_VERSIONS; a test fails if the file changes without a version bump.
 */
#ifndef POLICY_ABI_H
#define POLICY_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------------
 * Versions and the entry symbol
 * ------------------------------------------------------------------------------------------------- */

/* The major version is part of the entry symbol's name: a plugin built for another major has no symbol
 * this host looks up, and the host says which major it was built for. */
#define PAB_ABI_MAJOR 1u
/* The minor this header describes. A plugin declares the minor it was compiled against (the
 * descriptor's abi_minor); a host refuses a plugin whose abi_minor is newer than its own. */
#define PAB_ABI_MINOR 3u
#define PAB_ENTRY_SYMBOL "pab_plugin_entry_v1"

#if defined(_WIN32)
#define PAB_EXPORT __declspec(dllexport)
#else
#define PAB_EXPORT __attribute__((visibility("default")))
#endif

/* True when the struct at `ptr` (which starts with a uint32_t struct_size) is large enough to contain
 * `member`. Use it before touching anything added after v1.0, e.g.
 *   if (PAB_HAS(host, pab_host_api, some_v1_1_function)) host->some_v1_1_function(...); */
#define PAB_HAS(ptr, type, member) \
    ((ptr)->struct_size >= offsetof(type, member) + sizeof(((type *)0)->member))

/* ---------------------------------------------------------------------------------------------------
 * Basic types
 * ------------------------------------------------------------------------------------------------- */

/* A borrowed run of bytes (UTF-8 text unless stated). Not NUL-terminated unless stated; `ptr` may be
 * NULL only when `len` is 0.
 * OWNERSHIP: whoever passes it. LIFETIME: inputs are valid until the call they were passed to returns;
 * outputs passed to the host are copied before the host function returns. */
typedef struct pab_view {
    const uint8_t *ptr;
    size_t len;
} pab_view;

/* What a hook tells the host. Any other value is treated as PAB_VERDICT_ERROR. */
typedef uint32_t pab_verdict;
/* Continue the chain with the exchange as it is. */
#define PAB_VERDICT_ALLOW 0u
/* Stop the chain and answer the client with the status/code/message given to host->deny() during this
 * call. DENY without a deny() call is a plugin error. After response headers were sent (streaming), the
 * host ends the stream with an SSE error event instead of changing the status. */
#define PAB_VERDICT_DENY 1u
/* Continue with the changes made during this call through host->replace_body() or
 * host->replace_segment_text(). MUTATE without a change, or without the matching PAB_CAP_MUTATES_*
 * capability, is a plugin error. The next policy in the chain sees the changed data. */
#define PAB_VERDICT_MUTATE 2u
/* on_stream_chunk only: do not forward this SSE event to the client. Anywhere else it is an error. */
#define PAB_VERDICT_DROP 3u
/* The plugin failed. Give a reason with host->set_error(). The host applies the policy's configured
 * on_error mode (fail_closed by default: the client gets an error; fail_open: the chain continues) and
 * counts the failure. */
#define PAB_VERDICT_ERROR 4u

/* Return code of host functions and of create / exchange_begin. */
typedef uint32_t pab_rc;
#define PAB_OK 0u
/* The host function cannot do that here (wrong hook, missing capability, bad index, ...). */
#define PAB_ERR_INVALID 1u
/* The named thing does not exist (header, tag, attribute, segment). */
#define PAB_ERR_NOT_FOUND 2u
/* Generic failure of create / exchange_begin. */
#define PAB_ERR_FAILED 3u

/* Log levels for host->log. */
typedef uint32_t pab_log_level;
#define PAB_LOG_TRACE 0u
#define PAB_LOG_DEBUG 1u
#define PAB_LOG_INFO 2u
#define PAB_LOG_WARN 3u
#define PAB_LOG_ERROR 4u

/* Capability bits (pab_plugin.capabilities). Unknown bits make the host refuse the plugin. */
/* The plugin may return MUTATE from on_request (replace the request body or its text segments). */
#define PAB_CAP_MUTATES_REQUEST (1ull << 0)
/* The plugin may return MUTATE from on_response / on_stream_chunk, and DROP from on_stream_chunk. */
#define PAB_CAP_MUTATES_RESPONSE (1ull << 1)
/* The host buffers a streamed response and calls on_response once with the whole body (the SSE text)
 * instead of on_stream_chunk per event. This removes streaming for every client of that chain: the
 * first token arrives only when the last one did. Use only when a verdict truly needs everything. */
#define PAB_CAP_NEEDS_FULL_STREAM (1ull << 2)
/* The instance is not reentrant: the host serialises all hook calls on it behind a lock. This caps
 * the policy's throughput at one hook at a time; prefer a reentrant instance. */
#define PAB_CAP_SERIALIZE_CALLS (1ull << 3)
#define PAB_CAP_ALL_V1_0 (PAB_CAP_MUTATES_REQUEST | PAB_CAP_MUTATES_RESPONSE | PAB_CAP_NEEDS_FULL_STREAM | PAB_CAP_SERIALIZE_CALLS)
/* v1.1. The plugin knows the segment kinds added in v1.1 (PAB_SEGMENT_TOOL_ARGUMENTS, _REFUSAL,
 * _TOOL_DESCRIPTION) and wants them: segment_count / get_segment then include them, in document order
 * with the others. Without this bit a plugin sees exactly the v1.0 kinds (indices count those only), so a
 * plugin that switches on the kind never meets a value it does not know. A redactor or an injection
 * detector should set it: tool-call arguments, refusals and tool descriptions are text a model reads. */
#define PAB_CAP_EXTENDED_SEGMENTS (1ull << 4)
#define PAB_CAP_ALL_V1_1 (PAB_CAP_ALL_V1_0 | PAB_CAP_EXTENDED_SEGMENTS)
/* v1.3. A promise: none of the plugin's hooks (exchange_begin/end, on_request, on_response,
 * on_stream_chunk, on_stream_end) ever blocks (no network or disk wait, no sleep, no lock another thread
 * may hold for long) and each returns within the host's inline budget (1 ms per call by default,
 * gateway.inline_hook_budget_us) for bodies up to 32 KiB. The host may then call the hooks inline, on the
 * network event-loop thread that serves the exchange, instead of handing each phase to a policy thread
 * and back (two thread switches per phase). Ownership, reentrancy and the one-exchange ordering of rule 2
 * are unchanged; hooks may run on any host thread, as before. An inline call cannot be abandoned at its
 * timeout_ms, so the host times every call: an instance whose calls keep taking longer than the budget
 * (a few in a row, or more than one in 20 after its first 32 calls), or one call longer than its own
 * timeout_ms, is moved to the policy threads for the rest of its life (logged once at warning level,
 * counted in gatewayhost_policy_inline_demotions_total). One slow call alone is not held against the
 * plugin: the OS may have preempted the thread. Larger bodies and operators who turn inline calls off
 * (gateway.inline_hooks: false) always use the policy threads. */
#define PAB_CAP_INLINE_SAFE (1ull << 5)
#define PAB_CAP_ALL_V1_3 (PAB_CAP_ALL_V1_1 | PAB_CAP_INLINE_SAFE)

/* Opaque handles. */
/* Plugin-owned: one per configured chain entry, from create until destroy. */
typedef struct pab_instance pab_instance;
/* Plugin-owned: optional per-exchange state, from exchange_begin until exchange_end. */
typedef struct pab_exchange pab_exchange;
/* Host-owned: one hook invocation. Valid only during that call, only on the calling thread. */
typedef struct pab_call pab_call;
/* Host-owned: identifies one policy instance to log/metrics functions. Valid from create until destroy
 * returns, on any thread (including the plugin's own background threads). */
typedef struct pab_host_instance pab_host_instance;

/* Which API a request is for (pab_request.api, attribute PAB_ATTR_API). */
typedef uint32_t pab_api;
#define PAB_API_CHAT_COMPLETIONS 1u /* POST /v1/chat/completions */
#define PAB_API_RESPONSES 2u        /* POST /v1/responses */
#define PAB_API_EMBEDDINGS 3u       /* v1.2. POST /v1/embeddings: input strings are INPUT segments */

/* Attribute ids for host->get_attribute. Values are UTF-8 text. New ids may appear in later minors;
 * an id the host does not know returns PAB_ERR_NOT_FOUND. */
#define PAB_ATTR_REQUEST_ID 1u   /* the x-request-id of the exchange */
#define PAB_ATTR_ROUTE 2u        /* "/v1/chat/completions" or "/v1/responses" */
#define PAB_ATTR_MODEL 3u        /* the model the client asked for */
#define PAB_ATTR_CLIENT_ID 4u    /* id of the gateway key the client used; "anonymous" without keys */
#define PAB_ATTR_CLIENT_IP 5u    /* peer address */
#define PAB_ATTR_POLICY_NAME 6u  /* this chain entry's name, e.g. "pii-detector" */
#define PAB_ATTR_PACK_NAME 7u    /* pack.name from the config */
#define PAB_ATTR_PACK_VERSION 8u /* pack.version from the config */
#define PAB_ATTR_TARGET_ID 9u    /* id of the provider target serving the exchange, once chosen */
#define PAB_ATTR_STATUS 10u      /* final HTTP status as decimal text; in exchange_end only */
#define PAB_ATTR_LATENCY_MS 11u  /* milliseconds from request arrival to the end; exchange_end only */
#define PAB_ATTR_USAGE_JSON 12u  /* the upstream "usage" object as JSON, when the upstream sent one */
#define PAB_ATTR_VERDICTS_JSON 13u /* JSON array of {"policy","hook","verdict"} so far */
#define PAB_ATTR_STREAM 14u      /* "true" when the client asked for a stream, else "false" */
/* v1.1: every upstream attempt so far, as a JSON array of {"target","status","outcome","latency_ms"}: status
 * null when no HTTP answer came; outcome "success", "final" (the upstream refused the request), "retryable:<
 * class>" (connect_error, timeout, rate_limit, server_error, overloaded), "next_target" or "breaker_open".
 * Complete in exchange_end. A v1.0 host answers PAB_ERR_NOT_FOUND. */
#define PAB_ATTR_ATTEMPTS_JSON 15u
/* v1.2: the exchange's cost in USD as decimal text (e.g. "0.00123"), from the serving target's pricing
 * (or the cost the provider reported) and the answer's usage. Set in exchange_end when the target has a
 * price or the provider reported one; PAB_ERR_NOT_FOUND otherwise (and on older hosts). */
#define PAB_ATTR_COST_USD 16u

/* Header sets for get_header / set_header. */
typedef uint32_t pab_header_set;
#define PAB_HEADERS_REQUEST 1u  /* the client's request headers (what goes upstream) */
#define PAB_HEADERS_RESPONSE 2u /* the headers the client will receive */

/* Why an exchange or a stream ended (pab_stream_end.reason, exchange_end's reason). */
typedef uint32_t pab_end_reason;
#define PAB_END_COMPLETED 0u         /* the exchange finished normally */
#define PAB_END_UPSTREAM_ERROR 1u    /* the upstream failed, cut the stream, or answered an error */
#define PAB_END_CLIENT_DISCONNECT 2u /* the client went away */
#define PAB_END_DENIED 3u            /* a policy denied the exchange */
#define PAB_END_TIMEOUT 4u           /* a timeout (upstream or policy) ended it */
#define PAB_END_HOST_SHUTDOWN 5u     /* the gateway is stopping */
#define PAB_END_POLICY_ERROR 6u      /* a fail-closed policy error ended it */
#define PAB_END_REJECTED 7u          /* the gateway rejected it before any upstream call (no target, ...) */

/* What a text segment is (pab_segment.kind). */
typedef uint32_t pab_segment_kind;
/* A chat message's text: messages[i].content when it is a string, or messages[i].content[j].text. */
#define PAB_SEGMENT_MESSAGE 1u
/* A Responses API input text: `input` when it is a string, input[i].content (string or parts[j].text),
 * or `instructions`. */
#define PAB_SEGMENT_INPUT 2u
/* Generated text in a non-streamed response: choices[i].message.content, or a Responses output_text.
 * In a Responses stream also the full text the summary events repeat (response.output_text.done's
 * text, content_part.done, output_item.done, response.completed): redact it as you redact deltas. */
#define PAB_SEGMENT_OUTPUT 3u
/* Generated text in one streamed event: choices[i].delta.content, or a Responses
 * response.output_text.delta's delta. */
#define PAB_SEGMENT_DELTA 4u
/* v1.1, only with PAB_CAP_EXTENDED_SEGMENTS. Tool results need no kind of their own: a chat message with
 * role "tool" is a PAB_SEGMENT_MESSAGE, a Responses function_call_output an PAB_SEGMENT_INPUT (role "tool"). */
/* A value inside the arguments of a tool call: the host parses the arguments JSON and gives each string
 * value (and each number, as its literal text) as one segment, role "assistant", item_index the message /
 * choice / input or output item, part_index the tool call's position. Replacing it writes the new text
 * back as a JSON string inside the arguments, so the arguments stay valid JSON whatever the plugin writes
 * (a number replaced by text becomes a string). Found in chat messages[i].tool_calls[j] (requests),
 * choices[i].message.tool_calls[j] (answers) and Responses function_call items (input and output). Arguments
 * that are not valid JSON, and the argument fragments of streamed deltas (chat delta.tool_calls[j], a
 * Responses response.function_call_arguments.delta), are one segment with the raw text. */
#define PAB_SEGMENT_TOOL_ARGUMENTS 5u
/* A refusal the model wrote: choices[i].message.refusal, a streamed delta.refusal, a Responses "refusal"
 * content part or response.refusal.delta / .done event. */
#define PAB_SEGMENT_REFUSAL 6u
/* Text of a tool definition in a request, which the model reads as instructions: tools[i].function.
 * description (chat) or tools[i].description (Responses) with part_index 0, and every "description"
 * inside the tool's parameters schema with part_index 1, 2, ... in document order. item_index is i; role
 * "system". */
#define PAB_SEGMENT_TOOL_DESCRIPTION 7u

/* One piece of text the host found in the JSON, already unescaped (UTF-8).
 * OWNERSHIP: host. LIFETIME: the views are valid until the hook returns, or until the same segment is
 * replaced, whichever comes first. Set struct_size to sizeof(pab_segment) before calling get_segment. */
typedef struct pab_segment {
    uint32_t struct_size;
    pab_segment_kind kind;
    pab_view role;   /* "system", "developer", "user", "assistant", "tool"; empty when unknown */
    pab_view text;   /* the text, unescaped */
    uint32_t item_index; /* index of the message / input item / choice it belongs to */
    uint32_t part_index; /* index of the content part within that item; 0 for a plain string */
} pab_segment;

/* v1.1. One upstream target that may serve the exchange, with what it promises about data (for policies
 * that route by data policy). OWNERSHIP: host. LIFETIME: the views are valid until the hook returns.
 * Set struct_size to sizeof(pab_candidate) before calling get_candidate. */
typedef struct pab_candidate {
    uint32_t struct_size;
    uint32_t declared;             /* 1 when the target declares a data policy (zdr or data_policy) */
    pab_view id;                   /* the target's id */
    pab_view provider;             /* "openai", "azure-openai", ... */
    pab_view model;                /* the model the target would be asked for */
    pab_view region;               /* its region; empty when undeclared */
    uint32_t zero_data_retention;  /* 1 when it promises not to keep the exchange */
    uint32_t no_training;          /* 1 when it promises not to train on it */
    int64_t retention_days;        /* how long it keeps data; -1 when undeclared */
    uint32_t excluded;             /* 1 when a policy (or the config's requirements) already excluded it */
    uint32_t reserved0;            /* always 0 */
} pab_candidate;

/* ---------------------------------------------------------------------------------------------------
 * Host API table (host -> plugin). Given to the entry function and to create.
 * OWNERSHIP: host. LIFETIME: the whole process. THREADS: every function is thread-safe; functions
 * taking a pab_call * work only inside the hook that received it, on the calling thread.
 * ------------------------------------------------------------------------------------------------- */
typedef struct pab_host_api {
    uint32_t struct_size; /* sizeof(pab_host_api) as compiled into the host */
    uint16_t abi_major;   /* the host's PAB_ABI_MAJOR */
    uint16_t abi_minor;   /* the host's PAB_ABI_MINOR */

    /* Write one log line, attributed to the policy instance `hi` (NULL: to the plugin file in general).
     * `msg` is copied. Never log secrets or raw personal data: log types and counts. Any thread. */
    void (*log)(pab_host_instance *hi, pab_log_level level, pab_view msg);
    /* 1 when a message at `level` would be written (to skip formatting work), else 0. Any thread. */
    uint32_t (*log_enabled)(pab_log_level level);

    /* Look up header `name` (case-insensitive) in `set`. On success *out_value views the value until
     * the hook returns or the header is changed. Returns PAB_OK or PAB_ERR_NOT_FOUND.
     * PAB_HEADERS_REQUEST: the client's headers (and those policies set for the upstream). Credentials
     * always read as not found: Authorization, Api-Key, X-Api-Key, Cookie, Proxy-Authorization.
     * PAB_HEADERS_RESPONSE: a header a policy set for the client, else (once the upstream answered) the
     * upstream's response header of that name (for instance its x-ratelimit-* headers); Set-Cookie reads
     * as not found. Upstream headers are readable, not all are relayed to the client. */
    pab_rc (*get_header)(pab_call *c, pab_header_set set, pab_view name, pab_view *out_value);
    /* Set (replace) a header. PAB_HEADERS_REQUEST: only in on_request, changes what goes upstream
     * (authorization, host and hop-by-hop headers are refused with PAB_ERR_INVALID).
     * PAB_HEADERS_RESPONSE: in exchange_begin, on_request and on_response: before the client's headers
     * are sent. Not in on_stream_chunk (PAB_ERR_INVALID): a stream's headers go to the client before its
     * first event reaches any policy; set them in on_request. Content-Type, Content-Length,
     * Transfer-Encoding and Connection are the server's (PAB_ERR_INVALID). Name and value are copied. */
    pab_rc (*set_header)(pab_call *c, pab_header_set set, pab_view name, pab_view value);

    /* Read an attribute of the exchange (PAB_ATTR_*). *out_value is valid until the hook returns.
     * Returns PAB_OK or PAB_ERR_NOT_FOUND (unknown id, or no value yet). */
    pab_rc (*get_attribute)(pab_call *c, uint32_t attr_id, pab_view *out_value);

    /* Tags: small key/value findings shared along the chain and with the audit log (e.g. the
     * pii-detector sets "pii.email" = "2"; the audit-logger reads every tag). Keys are namespaced by the
     * host: a tag set by policy "pii-detector" with key "email" is stored as "pii-detector.email".
     * Never put secrets or personal data in a tag: types and counts only. Key and value are copied;
     * setting an existing key replaces its value. At most 256 tags per exchange, 4 KiB per value. */
    pab_rc (*set_tag)(pab_call *c, pab_view key, pab_view value);
    /* Look up a tag by its full, namespaced key ("pii-detector.email"). *out_value is valid until the
     * hook returns. Returns PAB_OK or PAB_ERR_NOT_FOUND. */
    pab_rc (*get_tag)(pab_call *c, pab_view key, pab_view *out_value);
    /* Number of tags on the exchange, and the tag at `index` (in the order they were first set). */
    uint32_t (*tag_count)(pab_call *c);
    pab_rc (*tag_at)(pab_call *c, uint32_t index, pab_view *out_key, pab_view *out_value);

    /* Record the answer for a DENY verdict of this call. `http_status` 0 means the host default (409
     * for policy blocks); otherwise 400..599. `code` empty means "input_blocked" on the request and
     * "output_blocked" on the response. `message` is shown to the client. All copied. Takes effect only
     * if the hook returns PAB_VERDICT_DENY. Returns PAB_ERR_INVALID for a status outside 400..599. */
    pab_rc (*deny)(pab_call *c, uint32_t http_status, pab_view code, pab_view message);
    /* Replace the whole body of the current phase: the request JSON (on_request), the response body
     * (on_response), or the current event's data (on_stream_chunk). Copied. Needs the matching
     * PAB_CAP_MUTATES_* capability (else PAB_ERR_INVALID) and takes effect only with MUTATE. A new
     * request body must still be a JSON object. */
    pab_rc (*replace_body)(pab_call *c, pab_view body);
    /* Give the reason for a PAB_VERDICT_ERROR. Copied. Logged and counted; never shown to clients. */
    void (*set_error)(pab_call *c, pab_view message);

    /* Text segments of the current phase's body (see pab_segment), so that most plugins never parse
     * JSON. segment_count is 0 when the body has no text the host understands. */
    uint32_t (*segment_count)(pab_call *c);
    /* Fill *out (whose struct_size the caller set) with segment `index`. PAB_ERR_NOT_FOUND past the end. */
    pab_rc (*get_segment)(pab_call *c, uint32_t index, pab_segment *out);
    /* Replace the text of segment `index` (copied; must be valid UTF-8). The host writes it back into
     * the JSON, JSON-escaped; every other byte of the body stays as it was. Needs the matching
     * PAB_CAP_MUTATES_* capability and takes effect only with MUTATE. Cannot be mixed with replace_body
     * in one call. */
    pab_rc (*replace_segment_text)(pab_call *c, uint32_t index, pab_view text);

    /* on_stream_chunk only: insert generated text into the stream immediately BEFORE the current event.
     * The host writes it as one delta event in the stream's own format (a chat.completion.chunk with
     * choices[item_index].delta.content, or a response.output_text.delta for output item_index /
     * content part part_index), so clients see ordinary text. Text is copied; must be valid UTF-8.
     * Needs PAB_CAP_MUTATES_RESPONSE and takes effect with MUTATE, ALLOW or DROP (not DENY/ERROR).
     * Use it to release text a plugin held back across events (e.g. a PII match that might continue in
     * the next event): the final events always pass through on_stream_chunk before they are forwarded
     * ("[DONE]" for chat; response.output_text.done and response.completed for Responses), so held text
     * can be released at the latest there.
     * COMPOSITION (hosts from v1.1 on; a v1.0 host sent inserted text straight to the client): text inserted by the policy at chain
     * position k is an event that the policies k+1..n see, in order, exactly like an upstream event
     * (on_stream_chunk with the same index as the event it was inserted before, is_final 0): they may
     * hold it back, redact it, drop it or deny. So several policies that hold text back never reorder it,
     * and a later policy never misses text an earlier one released. */
    pab_rc (*insert_delta)(pab_call *c, uint32_t item_index, uint32_t part_index, pab_view text);

    /* Metrics. Define counters in create only (returns an id), add from any thread. Exported as
     * gatewayhost_policy_counter_total{policy="...",name="..."}. Names: [a-z0-9_]+, at most 64. */
    pab_rc (*counter_define)(pab_host_instance *hi, pab_view name, uint32_t *out_id);
    void (*counter_add)(pab_host_instance *hi, uint32_t id, uint64_t delta);

    /* Monotonic clock in nanoseconds. Any thread. */
    uint64_t (*now_ns)(void);
    /* The now_ns() value by which this hook must return (the policy's timeout_ms budget). A hook that
     * overruns it is treated as PAB_VERDICT_ERROR with reason "timeout"; its result is discarded. */
    uint64_t (*deadline_ns)(pab_call *c);

    /* v1.1. on_request only: the targets that may serve the exchange for the model requested so far (a
     * model group's members and fallback groups included), in no particular order; 0 elsewhere. Routing
     * happens after the whole request chain, so a later policy's change to `model` is honoured, and an
     * exclusion holds by target id whatever the final model. Check PAB_HAS(host, pab_host_api,
     * exclude_candidate) before using these on a host that may be v1.0. */
    uint32_t (*candidate_count)(pab_call *c);
    /* Fill *out (whose struct_size the caller set) with candidate `index`. PAB_ERR_NOT_FOUND past the end. */
    pab_rc (*get_candidate)(pab_call *c, uint32_t index, pab_candidate *out);
    /* Exclude candidate `index` from this exchange's routing; `reason` (copied) is logged. When every
     * candidate is excluded the exchange is answered 503 no_available_target, naming the reasons (or deny
     * yourself first with your own answer). PAB_ERR_INVALID outside on_request. */
    pab_rc (*exclude_candidate)(pab_call *c, uint32_t index, pab_view reason);

    /* Later members are appended here. */
} pab_host_api;

/* ---------------------------------------------------------------------------------------------------
 * Hook inputs. OWNERSHIP: host. LIFETIME: the hook call. Read struct_size before any post-v1.0 field.
 * ------------------------------------------------------------------------------------------------- */

typedef struct pab_request {
    uint32_t struct_size;
    pab_api api;           /* PAB_API_* */
    pab_view method;       /* "POST" */
    pab_view path;         /* "/v1/chat/completions" */
    pab_view content_type; /* the client's Content-Type */
    pab_view body;         /* the request JSON as the previous policy left it */
    uint32_t stream;       /* 1 when the client asked for "stream": true */
    uint32_t reserved0;    /* always 0; keeps the struct free of tail padding, so PAB_HAS stays exact */
} pab_request;

typedef struct pab_response {
    uint32_t struct_size;
    uint32_t http_status;  /* the upstream's status (2xx; error answers skip the chain) */
    pab_view content_type;
    pab_view body;         /* the whole body; the SSE text when PAB_CAP_NEEDS_FULL_STREAM buffered it */
} pab_response;

typedef struct pab_stream_chunk {
    uint32_t struct_size;
    uint64_t index;        /* 0-based number of this event in the stream */
    pab_view event;        /* the SSE "event:" field; empty when absent */
    pab_view data;         /* the event's data (lines joined with '\n'), as the previous policy left it;
                              "[DONE]" for the final chat event */
    uint32_t is_final;     /* 1 for the stream's terminal event ("[DONE]"; a Responses response.completed,
                              response.failed, response.incomplete or error): the last moment to
                              release held-back text with insert_delta. Otherwise 0. */
    uint32_t reserved0;    /* always 0 */
} pab_stream_chunk;

typedef struct pab_stream_end {
    uint32_t struct_size;
    pab_end_reason reason; /* PAB_END_* */
    uint64_t events_seen;  /* events the host received from the upstream */
    uint64_t bytes_seen;   /* bytes of event data the host received */
} pab_stream_end;

/* Arguments of create. */
typedef struct pab_create_args {
    uint32_t struct_size;
    const pab_host_api *host;           /* process lifetime */
    pab_host_instance *host_instance;   /* for log and counters; valid until destroy returns */
    pab_view policy_name;               /* the chain entry's name, e.g. "pii-detector" */
    pab_view config_json;               /* the policy's config as canonical JSON (an object with sorted
                                           keys, no insignificant whitespace); also NUL-terminated */
} pab_create_args;

/* ---------------------------------------------------------------------------------------------------
 * The plugin descriptor (plugin -> host).
 * OWNERSHIP: plugin. LIFETIME: the descriptor and every string in it must stay valid and unchanged
 * for the life of the process (use static storage). The host copies the first min(struct_size,
 * sizeof) bytes into a zeroed struct, so members a v1.0 plugin does not know read as zero / NULL.
 * ------------------------------------------------------------------------------------------------- */
typedef struct pab_plugin {
    uint32_t struct_size;   /* sizeof(pab_plugin) as compiled into the plugin */
    uint16_t abi_major;     /* PAB_ABI_MAJOR */
    uint16_t abi_minor;     /* PAB_ABI_MINOR the plugin was compiled against */
    const char *name;       /* NUL-terminated, [a-z0-9][a-z0-9-]*, at most 64: the chain entry name */
    const char *version;    /* NUL-terminated semantic version of the plugin, e.g. "1.2.0" */
    const char *description; /* NUL-terminated one-line description; may be NULL */
    uint64_t capabilities;  /* PAB_CAP_* bits */
    const char *config_schema_json; /* optional NUL-terminated JSON Schema of the config; may be NULL.
                                       Shown by `gatewayhost plugins list`. */

    /* REQUIRED. Make an instance from the policy's config. THREADS: control thread.
     * On success store the instance in *out and return PAB_OK. On failure return PAB_ERR_FAILED and
     * write a NUL-terminated reason (truncated to err_cap) into err: the gateway refuses to start and
     * prints it with the policy name, so say which config key is wrong and why. */
    pab_rc (*create)(const pab_create_args *args, pab_instance **out, char *err, size_t err_cap);
    /* REQUIRED. Free an instance. Called once, after every hook on it has returned. */
    void (*destroy)(pab_instance *inst);

    /* OPTIONAL per-exchange state. At the start of every exchange the host runs exchange_begin of
     * every policy in the chain that has one, in chain order, before any on_request hook; on PAB_OK,
     * exchange_end runs exactly once for it, whatever happens: completion, a deny by ANY policy (before
     * or after this one in the chain), error, timeout, upstream failure or client disconnect. So a
     * policy with exchange_begin sees every exchange the chain starts, wherever it sits (an audit
     * policy logs blocked requests too). `c` is valid during each call (attributes and tags are
     * readable; in exchange_end PAB_ATTR_STATUS and PAB_ATTR_LATENCY_MS are set, and the tags and
     * verdicts of the whole chain are final). A non-OK exchange_begin is a plugin error (on_error
     * applies) and no end follows. */
    pab_rc (*exchange_begin)(pab_instance *inst, pab_call *c, pab_exchange **out);
    void (*exchange_end)(pab_instance *inst, pab_exchange *ex, pab_call *c, pab_end_reason reason);

    /* OPTIONAL hooks; NULL means not subscribed. `ex` is what exchange_begin stored (NULL without it).
     * on_request: the client's request, before any upstream call.
     * on_response: a non-streamed 2xx upstream answer (or a whole buffered stream, see the caps).
     * on_stream_chunk: each complete SSE event, in order, as it arrives.
     * on_stream_end: once per stream after the last event (or when it stops for another reason);
     *   its verdict may be DENY (an SSE error event ends the stream) or ALLOW. */
    pab_verdict (*on_request)(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_request *r);
    pab_verdict (*on_response)(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_response *r);
    pab_verdict (*on_stream_chunk)(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_stream_chunk *k);
    pab_verdict (*on_stream_end)(pab_instance *inst, pab_exchange *ex, pab_call *c, const pab_stream_end *e);

    /* v1.1+ members are appended here. */
} pab_plugin;

/* The size of a v1.0 descriptor. The host refuses a descriptor whose struct_size is smaller. */
#define PAB_PLUGIN_SIZE_V1_0 (offsetof(pab_plugin, on_stream_end) + sizeof(void *))

/* The ONLY symbol a plugin exports. The host calls it once per process for the file, on the control
 * thread, after the file passed the loader's checks and before anything else. It may do process-wide
 * initialisation; it must not block or start threads that call the host. Return the static descriptor,
 * or NULL to refuse to load (say why through host->log first). */
typedef const pab_plugin *(*pab_plugin_entry_fn)(const pab_host_api *host);
#if !defined(__swift__) /* Swift plugins define it with @_cdecl("pab_plugin_entry_v1") public func ... */
PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *host);
#endif

#ifdef __cplusplus
}
#endif
#endif /* POLICY_ABI_H */
