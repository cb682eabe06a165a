import GatewayWire
import PolicyABI

/// Human-readable names of descriptor capabilities and subscribed hooks, for `plugins list`.
package enum CapabilityNames {
    package static func describe(_ capabilities: UInt64) -> String {
        let names: [(UInt64, String)] = [
            (UInt64(PAB_CAP_MUTATES_REQUEST), "mutates_request"),
            (UInt64(PAB_CAP_MUTATES_RESPONSE), "mutates_response"),
            (UInt64(PAB_CAP_NEEDS_FULL_STREAM), "needs_full_stream"),
            (UInt64(PAB_CAP_SERIALIZE_CALLS), "serialize_calls"),
            (UInt64(PAB_CAP_EXTENDED_SEGMENTS), "extended_segments"),
            (UInt64(PAB_CAP_INLINE_SAFE), "inline_safe"),
        ]
        let set = names.filter { capabilities & $0.0 != 0 }.map(\.1)
        return set.isEmpty ? "none" : set.joined(separator: ", ")
    }

    package static func hooks(_ d: pab_plugin) -> [String] {
        var hooks: [String] = []
        if d.exchange_begin != nil { hooks.append("exchange_begin/end") }
        if d.on_request != nil { hooks.append("on_request") }
        if d.on_response != nil { hooks.append("on_response") }
        if d.on_stream_chunk != nil { hooks.append("on_stream_chunk") }
        if d.on_stream_end != nil { hooks.append("on_stream_end") }
        return hooks
    }
}
