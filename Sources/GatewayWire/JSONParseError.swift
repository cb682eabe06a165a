/// Why a byte sequence is not a JSON text (RFC 8259, strict).
///
/// `offset` is the 0-based byte offset of the problem in the source; `message` repeats it in words, e.g.
/// "unexpected character '}' at byte 17", so it can go into a client-facing 400 answer unchanged.
package struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    package var offset: Int
    package var message: String

    package var description: String { message }
}
