import GatewayWire
import NIOCore
import NIOPosix

/// A continuation that remembers the event loop its task was running on when it suspended, so that a
/// foreign thread (a curl multi thread, a policy thread) resumes it there.
///
/// With tasks on the event loops (see `TaskPlacement`), resuming a continuation from a foreign thread
/// would enqueue the task on *any* loop, usually not the one that owns the client connection; the task's
/// next write to that connection would then hop again. Resuming through `eventLoop.execute` keeps the
/// whole exchange on its connection's loop: one wake-up per hand-back instead of two.
///
/// When tasks run on Swift's default pool there is no current event loop and the resume is direct.
package struct HomedContinuation<T: Sendable>: Sendable {
    private let continuation: CheckedContinuation<T, Never>
    private let home: (any EventLoop)?

    /// Call on the suspending task's thread (inside `withCheckedContinuation`'s body), which is where the
    /// home is read from.
    package init(_ continuation: CheckedContinuation<T, Never>) {
        self.continuation = continuation
        self.home = MultiThreadedEventLoopGroup.currentEventLoop
    }

    /// Resumes the task on its home loop (directly when called on that loop or when it has none).
    package func resume(returning value: T) {
        guard let home, !home.inEventLoop else {
            continuation.resume(returning: value)
            return
        }
        let continuation = self.continuation
        home.execute { continuation.resume(returning: value) }
    }
}
