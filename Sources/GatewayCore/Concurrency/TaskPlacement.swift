import Foundation
import GatewayWire
import NIOCore
import NIOPosix

/// Where the process's Swift tasks run.
///
/// By default every task (the request handlers among them) runs on the NIO event-loop threads that also
/// serve the sockets, instead of on Swift Concurrency's separate global thread pool. A request is read,
/// handled and answered on one event loop, so it no longer crosses from a loop to a pool thread and back
/// (two thread wake-ups per request, each a context switch on a busy machine and a VM exit on an idle
/// vCPU). Handlers never block: plugin hooks run on the policy threads and upstream I/O on the curl
/// threads, so nothing here holds an event loop.
///
/// `GATEWAYHOST_TASKS_ON_EVENT_LOOPS=0` keeps Swift's default pool (for comparison in benchmarks, or if a
/// future Swift runtime refuses the executor hook).
package enum TaskPlacement {
    package static let environmentVariable = "GATEWAYHOST_TASKS_ON_EVENT_LOOPS"

    /// Must run before the first task is created (it replaces the global executor hook).
    package static func installEventLoopExecutorUnlessDisabled() {
        guard ProcessInfo.processInfo.environment[environmentVariable] != "0" else { return }
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
