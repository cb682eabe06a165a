import CCurl
import GatewayWire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A curl share handle used by all multi threads of one client: the DNS cache and TLS sessions (so a second thread
/// resumes a TLS session instead of a full handshake). Connections are NOT shared: libcurl does not support using
/// one connection (or HTTP/2 multiplexing on it) from several threads; each multi keeps its own connection cache.
///
/// `@unchecked Sendable`: `handle` is only passed to curl, which serialises access through the lock callbacks
/// below; the mutexes are allocated once and never moved.
package final class CurlShare: @unchecked Sendable {
    package let handle: UnsafeMutableRawPointer
    private let locks: UnsafeMutablePointer<pthread_mutex_t>
    private let lockCount = Int(CURL_LOCK_DATA_LAST.rawValue)

    package init?() {
        guard let handle = curl_share_init() else { return nil }
        self.handle = handle
        locks = .allocate(capacity: lockCount)
        for index in 0..<lockCount { pthread_mutex_init(locks + index, nil) }
        let userdata = Unmanaged.passUnretained(self).toOpaque()
        var ok = gw_share_setopt_ptr(handle, CURLSHOPT_USERDATA, userdata) == CURLSHE_OK
        ok = ok && gw_share_setopt_lock_cb(handle, shareLock) == CURLSHE_OK
        ok = ok && gw_share_setopt_unlock_cb(handle, shareUnlock) == CURLSHE_OK
        ok = ok && gw_share_setopt_lock_data(handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) == CURLSHE_OK
        ok = ok && gw_share_setopt_lock_data(handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) == CURLSHE_OK
        if !ok { return nil }
    }

    deinit {
        // Every easy handle using the share is cleaned up by the loops before the client lets go of it.
        curl_share_cleanup(handle)
        for index in 0..<lockCount { pthread_mutex_destroy(locks + index) }
        locks.deallocate()
    }

    fileprivate func mutex(for data: curl_lock_data) -> UnsafeMutablePointer<pthread_mutex_t> {
        locks + min(Int(data.rawValue), lockCount - 1)
    }
}

private let shareLock: curl_lock_function = { _, data, _, userdata in
    guard let userdata else { return }
    pthread_mutex_lock(Unmanaged<CurlShare>.fromOpaque(userdata).takeUnretainedValue().mutex(for: data))
}

private let shareUnlock: curl_unlock_function = { _, data, userdata in
    guard let userdata else { return }
    pthread_mutex_unlock(Unmanaged<CurlShare>.fromOpaque(userdata).takeUnretainedValue().mutex(for: data))
}
