import GatewayWire
import PolicyABI

/// What one exchange holds while it runs: its in-flight slot, its config generation (lease) and its
/// registration with the stop switch. Released when the exchange's last reference goes (the handler
/// returns, or a streamed body was written or dropped); that is when the exchange is reported (metrics,
/// access log, status page, trace).
///
/// It is also the safety net of the ABI's promise: if the exchange is released without its chain run
/// having ended (a streamed answer whose body the server never ran because the client left before the
/// head was written), it ends the run itself, so every `exchange_begin` still gets its `exchange_end`
/// (on its own generation's policy threads: the lease is held until then).
///
/// Usage:
/// ```swift
/// let ticket = ExchangeTicket(run: run, slot: slot, lease: lease)
/// defer { withExtendedLifetime(ticket) {} }
/// ```
package final class ExchangeTicket: Sendable {
    package let run: ChainRun
    private let slot: InflightSlot
    private let lease: RuntimeLease
    private let registration = Locked<UInt64?>(nil)

    package init(run: ChainRun, slot: InflightSlot, lease: RuntimeLease) {
        self.run = run
        self.slot = slot
        self.lease = lease
    }

    private var stopping: StopSwitch { lease.runtime.stopping }

    /// Makes `cancel` part of the gateway's stop (the upstream transfer of this exchange).
    package func stopWith(_ cancel: @escaping @Sendable () -> Void) {
        let id = stopping.register(cancel)
        registration.withLock { $0 = id }
    }

    /// The gateway is stopping and the grace has passed: no new attempt should start.
    package var isStopping: Bool { stopping.isStopping }

    deinit {
        stopping.unregister(registration.withLock { $0 })
        let run = run
        let lease = lease
        guard run.hasEnded else {
            let reason = stopping.isStopping ? PAB_END_HOST_SHUTDOWN : PAB_END_CLIENT_DISCONNECT
            Task {
                await run.end(reason, status: 499)
                ExchangeReport.report(run, runtime: lease.runtime)
            }
            return
        }
        ExchangeReport.report(run, runtime: lease.runtime)
    }
}
