import Foundation

extension HTTPClientRequest {
    /// The request as text for logs, the dead-letter queue and the CLI: the request line, the headers with
    /// the credential of `Authorization` replaced (its scheme kept, `ApiKey [redacted]`), then the body.
    /// Every destination and command that shows a request shows it through here, so no path prints a key.
    package var redacted: String { redacted(body: body) }

    /// What one item of a request carrying `count` of them (a Novu bulk request, a Segment batch) keeps of
    /// a failed attempt: the request line and headers, and only its own `part` of the body. Each item keeps
    /// its own attempt rows; with the whole body in each, one failed attempt would be written `count` times.
    package func redacted(part: Data, of count: Int, in request: String) -> String {
        guard count > 1 else { return redacted }
        return redacted(body: Data("(this event's part of a \(request) of \(count) events)\n".utf8) + part)
    }

    /// The request line and the headers, the credential replaced.
    package var redactedHead: String {
        var lines = ["\(method) \(url)"]
        for header in headers {
            lines.append("\(header.name): \(Self.shown(header))")
        }
        return lines.joined(separator: "\n")
    }

    private func redacted(body: Data) -> String {
        body.isEmpty ? redactedHead : redactedHead + "\n\n" + String(decoding: body, as: UTF8.self)
    }

    /// A header's value as shown: `Authorization` keeps only its scheme.
    static func shown(_ header: (name: String, value: String)) -> String {
        guard header.name.lowercased() == "authorization" else { return header.value }
        let scheme = header.value.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
        return scheme.isEmpty || scheme == header.value ? "[redacted]" : "\(scheme) [redacted]"
    }
}
