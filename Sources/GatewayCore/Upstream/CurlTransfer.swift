import CCurl
import GatewayWire

/// One request's curl easy handle plus what the multi thread needs to drive it.
///
/// `@unchecked Sendable`: the easy handle, header list, error buffer, head parser and idle bookkeeping are used by
/// the creating task until `CurlMultiLoop.submit`, then only by that loop's thread (curl callbacks run on it too)
/// until `release()`. Other threads only touch `channel`, which is Sendable, and the immutable `idleTimeout`.
package final class CurlTransfer: @unchecked Sendable {
    package let channel: TransferChannel
    package let idleTimeout: Duration?

    private(set) var easy: UnsafeMutableRawPointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var headParser = ResponseHeadParser()
    /// The head as soon as curl parsed it, published by the loop after the current round of curl calls
    /// (see `publishHead`).
    private var parsedHead: ResponseHead?
    /// Last time bytes arrived (or the transfer started / was unpaused): the idle timeout counts from here.
    private(set) var lastActivity = ContinuousClock.now
    /// curl is paused because the consumer's queue is full; the idle timeout is suspended meanwhile.
    private(set) var isPausedForBackpressure = false
    /// The loop driving this transfer, told when the head is parsed. Set by the loop when it adds the
    /// transfer; the loop outlives every transfer in it.
    unowned(unsafe) var owner: CurlMultiLoop?

    /// Creates and configures the easy handle. Throws for a request curl cannot express (e.g. a header with CR/LF).
    package init(request: UpstreamRequest, highWater: Int, share: CurlShare?) throws(UpstreamError) {
        channel = TransferChannel(highWater: highWater)
        idleTimeout = request.idleTimeout.map { .milliseconds(max(1, Int(($0 * 1000).rounded()))) }
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        guard let easy = EasyHandlePool.shared.take() else { throw .transfer("curl_easy_init failed") }
        self.easy = easy
        let userdata = Unmanaged.passUnretained(self).toOpaque()
        headerList = try EasyHandleOptions.apply(
            request, to: easy, share: share, errorBuffer: errorBuffer, userdata: userdata,
            write: curlWriteCallback, header: curlHeaderCallback)
    }

    deinit {
        release()
        errorBuffer.deallocate()
    }

    /// Returns the easy handle to the pool and frees the header list. Call only once the handle is out of any
    /// multi.
    package func release() {
        if let easy { EasyHandlePool.shared.give(easy) }
        easy = nil
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
    }

    // MARK: - Multi thread only

    /// Resets the idle clock: called when the transfer is added to the multi and after an unpause.
    package func markActive(at now: ContinuousClock.Instant) {
        lastActivity = now
        isPausedForBackpressure = false
    }

    /// The moment the idle timeout expires, or nil if none applies now (no idle timeout, or paused by us).
    package var idleDeadline: ContinuousClock.Instant? {
        guard let idleTimeout, !isPausedForBackpressure else { return nil }
        return lastActivity + idleTimeout
    }

    /// curl's text for the last failure (empty if curl left none).
    package var errorDetail: String { String(cString: errorBuffer) }

    /// The completed response's status, if curl knows one.
    package var responseCode: Int {
        guard let easy else { return 0 }
        var code = 0
        _ = gw_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    /// How many new connections this transfer had to open (0 when it reused a cached one).
    package var newConnections: Int {
        guard let easy else { return 0 }
        var count = 0
        _ = gw_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &count)
        return count
    }

    /// Hands a parsed head to the waiting task. The loop calls it once its round of curl calls has returned
    /// rather than from the header callback: by then a small answer's body and end are usually in too, so
    /// the task wakes once and finds the whole answer, instead of waking for the head and again for the body.
    package func publishHead() {
        guard let head = parsedHead else { return }
        parsedHead = nil
        channel.deliverHead(head)
    }

    /// Publishes the head at the end of the transfer, also when curl never passed a final blank header
    /// line (e.g. a response with no headers at all). Called before `channel.finish(.success(()))`.
    package func deliverHeadAtCompletion() {
        publishHead()
        guard !channel.hasHead else { return }
        let status = headParser.status ?? responseCode
        if status > 0 { channel.deliverHead(ResponseHead(status: status, headers: [])) }
    }

    fileprivate func receivedHeaderLine(_ line: UnsafeRawBufferPointer) {
        lastActivity = .now
        if let head = headParser.consume(line) {
            parsedHead = head
            owner?.headParsed(self)
        }
    }

    /// Returns false when the bytes were refused and curl must pause (it keeps them and redelivers them later).
    fileprivate func receivedBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        lastActivity = .now
        if channel.offer(bytes) { return true }
        isPausedForBackpressure = true
        return false
    }
}

/// CURLOPT_WRITEFUNCTION. Runs on the multi thread inside curl_multi_socket_action or curl_easy_pause.
private let curlWriteCallback: curl_write_callback = { pointer, size, count, userdata in
    let length = size * count
    guard let userdata else { return 0 }  // cannot happen; returning a short count makes curl fail the transfer
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let accepted = transfer.receivedBody(UnsafeRawBufferPointer(start: pointer, count: length))
    return accepted ? length : Int(CURL_WRITEFUNC_PAUSE)
}

/// CURLOPT_HEADERFUNCTION: one status or header line per call.
private let curlHeaderCallback: curl_write_callback = { pointer, size, count, userdata in
    let length = size * count
    guard let userdata else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    transfer.receivedHeaderLine(UnsafeRawBufferPointer(start: pointer, count: length))
    return length
}
