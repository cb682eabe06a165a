/// The final status line and headers of an upstream response (1xx interim responses are skipped).
struct ResponseHead: Sendable {
    let status: Int
    let headers: [(name: String, value: String)]
}
