import GatewayWire

/// Memory behind the `pab_view`s the host hands to a plugin during one hook call.
///
/// The header promises that an output view stays valid until the hook returns, so every copy made for a
/// plugin lives here and is freed in one go when the call object goes away. Only the thread running the
/// hook touches it.
package final class ViewArena {
    private var blocks: [UnsafeMutableRawBufferPointer] = []

    /// Copies `bytes` into arena memory (NUL-terminated, for plugins that want a C string) and returns
    /// the view of the bytes without the terminator.
    package func view<C: Collection>(of bytes: C) -> (UnsafePointer<UInt8>, Int) where C.Element == UInt8 {
        let count = bytes.count
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: count + 1, alignment: 1)
        blocks.append(block)
        let typed = block.bindMemory(to: UInt8.self)
        _ = typed.initialize(from: bytes)
        typed[count] = 0
        return (UnsafePointer(typed.baseAddress!), count)
    }

    package func view(of string: String) -> (UnsafePointer<UInt8>, Int) { view(of: string.utf8) }

    deinit { for block in blocks { block.deallocate() } }
}
