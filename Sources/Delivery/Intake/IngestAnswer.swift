import JSON

/// What an ingest pipeline answers, free of HTTP types: a status and a JSON body. The routes turn it
/// into a response; the status is decided by the pipeline that knows why.
package struct IngestAnswer: Sendable, Equatable {
    package var status: Int
    package var body: JSONValue

    package init(status: Int, body: JSONValue) {
        self.status = status
        self.body = body
    }

    /// `{"error": error, "message": message}`: the error's name and a sentence naming the field or cause.
    package static func error(_ status: Int, _ error: String, _ message: String) -> IngestAnswer {
        IngestAnswer(status: status, body: ["error": .string(error), "message": .string(message)])
    }
}
