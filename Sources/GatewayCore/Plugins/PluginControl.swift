import NIOConcurrencyHelpers

/// The ABI's "control thread" rule: a plugin's entry function, `create` and `destroy` never run
/// concurrently with each other. At start they all run on the main task; after a config reload the new
/// generation's `create`s and the old generation's `destroy`s (run when its last exchange ends) may come
/// from different threads, so one process-wide lock serialises them.
///
/// Usage:
/// ```swift
/// let rc = PluginControl.serialized { descriptor.create!(&args, &instance, err, cap) }
/// ```
package enum PluginControl {
    private static let lock = NIOLock()

    package static func serialized<T>(_ body: () throws -> T) rethrows -> T {
        try lock.withLock { try body() }
    }
}
