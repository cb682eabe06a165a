import CCurl
import GatewayWire

/// Turns an `UpstreamRequest` into curl easy-handle options. The fixed choices and why:
/// - TLS verification stays at curl's default (on); nothing here may turn it off.
/// - No CURLOPT_PROXY: curl then reads HTTPS_PROXY / HTTP_PROXY (lowercase http_proxy) / NO_PROXY per transfer.
/// - HTTP/2 over TLS when the server offers it (ALPN), HTTP/1.1 otherwise (no h2c).
/// - No redirects are followed: the gateway's client sees the upstream's 3xx as is.
/// - NOSIGNAL: curl must not use signals (SIGALRM for DNS timeouts) in a multi-threaded process.
package enum EasyHandleOptions {
    /// CURLOPT_BUFFERSIZE of every transfer (see `apply`).
    package static let receiveBufferBytes = 4096

    /// Applies every option and returns the header list, which must outlive the handle.
    package static func apply(
        _ request: UpstreamRequest, to easy: UnsafeMutableRawPointer, share: CurlShare?,
        errorBuffer: UnsafeMutablePointer<CChar>, userdata: UnsafeMutableRawPointer,
        write: curl_write_callback, header: curl_write_callback
    ) throws(UpstreamError) -> UnsafeMutablePointer<curl_slist>? {
        var failure: CURLcode = CURLE_OK
        func set(_ code: CURLcode) { if failure == CURLE_OK && code != CURLE_OK { failure = code } }

        set(gw_easy_setopt_ptr(easy, CURLOPT_ERRORBUFFER, errorBuffer))
        set(gw_easy_setopt_str(easy, CURLOPT_URL, request.url))
        set(gw_easy_setopt_str(easy, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(gw_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        set(gw_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0))
        set(gw_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)))
        if request.url.lowercased().hasPrefix("https:") {
            // Wait for a connection still in its TLS handshake rather than open a second one: ALPN may make it an
            // HTTP/2 connection that can carry this request too. Never for http://, which is always HTTP/1.1 here:
            // there curl cannot tell a busy connection will not multiplex and would queue every request to the host
            // behind one whose answer is pending.
            set(gw_easy_setopt_long(easy, CURLOPT_PIPEWAIT, 1))
        }
        // A proxy's "200 Connection established" would otherwise look like the upstream's final head.
        set(gw_easy_setopt_long(easy, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1))
        set(gw_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1))
        // curl keeps one receive buffer per easy handle (16 KiB by default) for as long as the handle lives,
        // pooled ones included: with thousands of open streams it was the largest part of a stream's memory
        // after the task frames (massif). 4 KiB holds many SSE events and costs a big JSON answer more reads.
        // Always the same value on every transfer: some libcurl versions keep the buffer of an earlier
        // transfer, so a handle must never be asked for more than the buffer it already has.
        set(gw_easy_setopt_long(easy, CURLOPT_BUFFERSIZE, Self.receiveBufferBytes))
        set(gw_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(request.connectTimeout)))
        if let total = request.totalTimeout {
            set(gw_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, milliseconds(total)))
        }
        set(gw_easy_setopt_write_cb(easy, write))
        set(gw_easy_setopt_ptr(easy, CURLOPT_WRITEDATA, userdata))
        set(gw_easy_setopt_header_cb(easy, header))
        set(gw_easy_setopt_ptr(easy, CURLOPT_HEADERDATA, userdata))
        if let share { set(gw_easy_setopt_ptr(easy, CURLOPT_SHARE, share.handle)) }
        setMethodAndBody(request, easy, set)
        if failure != CURLE_OK {
            throw .transfer("curl_easy_setopt: " + String(cString: curl_easy_strerror(failure)))
        }

        let list = try headerList(for: request)
        if let list, gw_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list) != CURLE_OK {
            curl_slist_free_all(list)
            throw .transfer("curl_easy_setopt: could not set the request headers")
        }
        return list
    }

    private static func setMethodAndBody(
        _ request: UpstreamRequest, _ easy: UnsafeMutableRawPointer, _ set: (CURLcode) -> Void
    ) {
        let method = request.method.uppercased()
        if method == "HEAD" {
            set(gw_easy_setopt_long(easy, CURLOPT_NOBODY, 1))
            return
        }
        if method == "GET" && request.body.isEmpty {
            set(gw_easy_setopt_long(easy, CURLOPT_HTTPGET, 1))
            return
        }
        if method != "POST" { set(gw_easy_setopt_str(easy, CURLOPT_CUSTOMREQUEST, method)) }
        // The size first: COPYPOSTFIELDS copies exactly that many bytes (the body may contain NULs).
        set(gw_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
        if request.body.isEmpty {
            set(gw_easy_setopt_str(easy, CURLOPT_COPYPOSTFIELDS, ""))
        } else {
            request.body.withUnsafeBytes { bytes in
                set(
                    gw_easy_setopt_ptr(
                        easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress)))
            }
        }
    }

    /// The caller's headers, plus blank overrides that stop curl adding headers of its own the caller did not ask
    /// for ("Expect: 100-continue" adds a round trip; the form Content-Type and "Accept: */*" would be wrong).
    private static func headerList(for request: UpstreamRequest) throws(UpstreamError)
        -> UnsafeMutablePointer<curl_slist>?
    {
        var list: UnsafeMutablePointer<curl_slist>?
        var hasExpect = false
        var hasAccept = false
        var hasContentType = false
        for (name, value) in request.headers {
            // CR, LF or NUL would let a value inject extra headers. The header itself stays out of the message.
            guard isToken(name), !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
                if let list { curl_slist_free_all(list) }
                throw .transfer("refused a request header with an invalid name or value")
            }
            hasExpect = hasExpect || name.equalsIgnoringASCIICase("expect")
            hasAccept = hasAccept || name.equalsIgnoringASCIICase("accept")
            hasContentType = hasContentType || name.equalsIgnoringASCIICase("content-type")
            // "Name;" is curl's spelling for a header with an empty value ("Name:" would remove it).
            list = curl_slist_append(list, value.isEmpty ? name + ";" : name + ": " + value)
        }
        if !hasExpect { list = curl_slist_append(list, "Expect:") }
        if !hasAccept { list = curl_slist_append(list, "Accept:") }
        if !hasContentType { list = curl_slist_append(list, "Content-Type:") }
        return list
    }

    /// RFC 9110 token characters (header field names).
    private static func isToken(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"),
                    UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"),
                    UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"),
                    UInt8(ascii: "|"), UInt8(ascii: "~"):
                    return true
                default:
                    return false
                }
            }
    }

    private static func milliseconds(_ seconds: Double) -> Int { max(1, Int((seconds * 1000).rounded())) }
}
