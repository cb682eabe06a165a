import CCurl
import CEpoll

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The sockets one curl multi loop waits on: an epoll set that holds what curl asks to watch
/// (CURLMOPT_SOCKETFUNCTION), plus an eventfd by which other threads wake the loop.
///
/// Waiting costs the number of ready sockets, not the number of transfers: with curl_multi_poll every
/// wake-up rebuilt and polled every transfer's socket, which made each event of 8,000 open streams cost
/// all 8,000 (the stream-scale benchmark measured ~300 µs of CPU per event at 2,000 streams).
///
/// Usage:
/// ```swift
/// let watch = try CurlSocketWatch()
/// watch.set(fd, what: CURL_POLL_IN)          // from curl's socket callback, on the loop thread
/// let ready = watch.wait(milliseconds: 100)  // loop thread
/// watch.wake()                                // any thread
/// ```
///
/// `@unchecked Sendable`: `wake()` only writes the eventfd, which is safe from any thread; everything else
/// runs on the loop thread.
package final class CurlSocketWatch: @unchecked Sendable {
    private let epoll: Int32
    private let wakeDescriptor: Int32
    private var watched = Set<Int32>()
    private var readyDescriptors = [Int32](repeating: 0, count: 256)
    private var readyMasks = [UInt32](repeating: 0, count: 256)

    package struct Ready {
        package var descriptor: Int32
        /// CURL_CSELECT_* bits for curl_multi_socket_action.
        package var curlFlags: Int32
    }

    package init?() {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeDescriptor = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        guard epoll >= 0, wakeDescriptor >= 0,
            gw_epoll_control(epoll, EPOLL_CTL_ADD, wakeDescriptor, EPOLLIN.rawValue) == 0
        else {
            if epoll >= 0 { close(epoll) }
            if wakeDescriptor >= 0 { close(wakeDescriptor) }
            return nil
        }
    }

    deinit {
        close(epoll)
        close(wakeDescriptor)
    }

    /// Follows curl's wish for one socket: CURL_POLL_IN / _OUT / _INOUT, or CURL_POLL_REMOVE.
    package func set(_ descriptor: Int32, what: Int32) {
        var events: UInt32 = 0
        switch what {
        case 1: events = EPOLLIN.rawValue  // CURL_POLL_IN
        case 2: events = EPOLLOUT.rawValue  // CURL_POLL_OUT
        case 3: events = EPOLLIN.rawValue | EPOLLOUT.rawValue  // CURL_POLL_INOUT
        default:  // CURL_POLL_REMOVE: curl is about to close it or no longer needs it
            if watched.remove(descriptor) != nil { _ = gw_epoll_control(epoll, EPOLL_CTL_DEL, descriptor, 0) }
            return
        }
        let known = watched.contains(descriptor)
        if gw_epoll_control(epoll, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, descriptor, events) != 0 {
            // The set and curl disagreed (a descriptor closed and reused without a REMOVE): the other op.
            _ = gw_epoll_control(epoll, known ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, descriptor, events)
        }
        watched.insert(descriptor)
    }

    /// Waits up to `milliseconds` (0: just look) and returns the sockets curl must act on. A wake-up by
    /// `wake()` ends the wait too and is consumed here; it returns no socket.
    package func wait(milliseconds: Int32) -> [Ready] {
        let count = readyDescriptors.withUnsafeMutableBufferPointer { descriptors in
            readyMasks.withUnsafeMutableBufferPointer { masks in
                gw_epoll_wait(epoll, descriptors.baseAddress, masks.baseAddress, 256, milliseconds)
            }
        }
        guard count > 0 else { return [] }
        var ready: [Ready] = []
        ready.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
            let descriptor = readyDescriptors[index]
            if descriptor == wakeDescriptor {
                _ = gw_eventfd_drain(wakeDescriptor)
                continue
            }
            let mask = readyMasks[index]
            var flags: Int32 = 0
            if mask & EPOLLIN.rawValue != 0 { flags |= 1 }  // CURL_CSELECT_IN
            if mask & EPOLLOUT.rawValue != 0 { flags |= 2 }  // CURL_CSELECT_OUT
            if mask & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 { flags |= 4 }  // CURL_CSELECT_ERR
            ready.append(Ready(descriptor: descriptor, curlFlags: flags))
        }
        return ready
    }

    /// Ends the loop's current or next wait. Any thread.
    package func wake() { _ = gw_eventfd_signal(wakeDescriptor) }
}
