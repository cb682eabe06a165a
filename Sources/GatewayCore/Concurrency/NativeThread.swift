import GatewayWire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A plain pthread for the gateway's long-lived loops (curl multi threads, the deadline watchdog): they
/// block in poll / condition waits, which must never happen on Swift's task pool or a NIO event loop.
package enum NativeThread {
    /// Gives the calling thread an OS-visible name (at most 15 bytes are kept), through
    /// `/proc/thread-self/comm`: the Linux way that needs no variadic call or GNU-only declaration.
    package static func nameCurrentThread(_ name: String) {
        let descriptor = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    /// Starts a thread running `body`; the closure (and what it captures) lives until `body` returns.
    /// Returns the thread's id (join or detach it), or nil when pthread_create failed.
    package static func start(_ body: @escaping @Sendable () -> Void) -> pthread_t? {
        let box = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { context in
                guard let context else { return nil }
                Unmanaged<Body>.fromOpaque(context).takeRetainedValue().run()
                return nil
            }, box)
        guard rc == 0 else {
            Unmanaged<Body>.fromOpaque(box).release()
            return nil
        }
        return thread
    }

    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
}
