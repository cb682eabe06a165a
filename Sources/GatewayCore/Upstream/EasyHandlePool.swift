import CCurl
import GatewayWire

/// Finished curl easy handles kept for the next transfers.
///
/// A fresh handle costs curl several allocations (the handle itself and its buffers), freed again when the
/// transfer ends; at thousands of requests a second that churn showed in profiles as
/// malloc and free on the curl thread. A returned handle is `curl_easy_reset` first: every option goes back to
/// its default (the next transfer sets all it needs), while the handle's buffers stay allocated.
///
/// Any thread may take or return a handle; a handle is owned by exactly one transfer between the two. Only
/// handles outside every multi handle may be returned.
///
/// ```swift
/// guard let easy = EasyHandlePool.shared.take() else { throw ... }
/// // configure, run in a multi, remove from the multi
/// EasyHandlePool.shared.give(easy)
/// ```
package final class EasyHandlePool: Sendable {
    /// The process's pool: enough for the concurrency a gateway process sees at once.
    package static let shared = EasyHandlePool(capacity: 256)

    /// An idle handle. `@unchecked Sendable`: a handle in the pool belongs to no transfer and no thread.
    private struct IdleHandle: @unchecked Sendable {
        let raw: UnsafeMutableRawPointer
    }

    /// Most handles kept; beyond it, returned handles are freed.
    package let capacity: Int
    private let idle = Locked<[IdleHandle]>([])

    package init(capacity: Int) { self.capacity = max(0, capacity) }

    deinit {
        for handle in idle.withLock({ $0 }) { curl_easy_cleanup(handle.raw) }
    }

    /// A reset handle from the pool, or a new one (nil only if curl cannot allocate).
    package func take() -> UnsafeMutableRawPointer? {
        if let handle = idle.withLock({ $0.popLast() }) { return handle.raw }
        return curl_easy_init()
    }

    /// Takes back a handle its transfer no longer uses (out of any multi), or frees it when the pool is full.
    package func give(_ handle: UnsafeMutableRawPointer) {
        // curl_easy_reset keeps a share handle attached; detach it, or a pooled handle would keep (and later
        // lock) the share of a client that has since shut down.
        _ = gw_easy_setopt_ptr(handle, CURLOPT_SHARE, nil)
        curl_easy_reset(handle)
        let returned = IdleHandle(raw: handle)
        let kept = idle.withLock { idle -> Bool in
            guard idle.count < capacity else { return false }
            idle.append(returned)
            return true
        }
        if !kept { curl_easy_cleanup(handle) }
    }

    /// Handles waiting in the pool.
    package var idleCount: Int { idle.withLock { $0.count } }
}
