import PolicyABI

/// The OpenAI-compatible APIs the gateway serves.
package enum WireAPI: Sendable, Equatable, Hashable {
    /// POST /v1/chat/completions
    case chatCompletions
    /// POST /v1/responses
    case responses
    /// POST /v1/embeddings (PolicyABI 1.2): its `input` strings are INPUT segments; answers carry no text.
    case embeddings

    /// The PAB_API_* value plugins see.
    package var abiValue: UInt32 {
        switch self {
        case .chatCompletions: PAB_API_CHAT_COMPLETIONS
        case .responses: PAB_API_RESPONSES
        case .embeddings: PAB_API_EMBEDDINGS
        }
    }

    /// The route, for messages.
    package var route: String {
        switch self {
        case .chatCompletions: "/v1/chat/completions"
        case .responses: "/v1/responses"
        case .embeddings: "/v1/embeddings"
        }
    }
}

/// Which body a document is, which decides where its text lives.
package enum SegmentPhase: Sendable, Equatable {
    /// The client's request body.
    case request(WireAPI)
    /// A non-streamed upstream answer.
    case response(WireAPI)
    /// The data of one SSE event of a streamed answer.
    case streamEvent(WireAPI)
}

/// One piece of user-visible text found in a JSON body: what plugins see as a `pab_segment`.
package struct TextSegment: Sendable, Equatable {
    /// PAB_SEGMENT_MESSAGE / _INPUT / _OUTPUT / _DELTA.
    package var kind: UInt32
    /// "system", "developer", "user", "assistant", "tool"; empty when the body does not say.
    package var role: String
    /// The text, unescaped.
    package var text: String
    /// Index of the message / input item / choice / output item it belongs to.
    package var itemIndex: UInt32
    /// Index of the content part within that item; 0 for a plain string.
    package var partIndex: UInt32
    /// Byte range of the JSON string literal in the source, INCLUDING its quotes: what `splice` replaces.
    /// For a value inside tool-call arguments: the arguments string's literal.
    package var valueRange: Range<Int>
    /// For a value inside tool-call arguments: where it sits in the arguments' own JSON text.
    package var inner: InnerValue? = nil

    /// A value within a JSON text that is itself carried in a JSON string (tool-call arguments).
    package struct InnerValue: Sendable, Equatable {
        /// Byte range of the value's literal (a string with its quotes, or a number) in `container`.
        package var range: Range<Int>
        /// The decoded text of the enclosing string: the arguments JSON.
        package var container: String
    }

    /// Kinds a plugin sees without PAB_CAP_EXTENDED_SEGMENTS.
    package var isV1_0Kind: Bool { kind <= PAB_SEGMENT_DELTA }

    /// Item index given to the Responses `instructions` segment (which belongs to no input item). It is
    /// always the first segment of a request and has role "system".
    package static let instructionsItemIndex: UInt32 = 0
}
