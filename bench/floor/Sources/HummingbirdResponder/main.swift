import Foundation
import Hummingbird

// floor-hummingbird-responder PORT CHAT_BODY_FILE RESPONSES_BODY_FILE
// Answers POST /v1/chat/completions and /v1/responses from a Hummingbird router with the files' bytes,
// after reading the request body, as gatewayhost's handlers do. Hummingbird's defaults otherwise.

let arguments = CommandLine.arguments
guard arguments.count == 4, let port = Int(arguments[1]),
    let chat = FileManager.default.contents(atPath: arguments[2]),
    let responses = FileManager.default.contents(atPath: arguments[3])
else {
    FileHandle.standardError.write(
        Data("usage: floor-hummingbird-responder PORT CHAT_BODY_FILE RESPONSES_BODY_FILE\n".utf8))
    exit(2)
}

func answer(_ body: ByteBuffer) -> @Sendable (Request, BasicRequestContext) async throws -> Response {
    { request, _ in
        var request = request
        _ = try await request.collectBody(upTo: 4 << 20)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
}

let router = Router()
router.post("/v1/chat/completions", use: answer(ByteBuffer(bytes: chat)))
router.post("/v1/responses", use: answer(ByteBuffer(bytes: responses)))
router.get("/healthz") { _, _ in "ok" }  // readiness, for bench/run.sh
let app = Application(
    router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil))
try await app.runService()
