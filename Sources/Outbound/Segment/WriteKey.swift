import Foundation

/// The write key of a Segment SDK request: HTTP Basic username (`base64(writeKey + ":")`) or the body's
/// `writeKey`.
package enum WriteKey {
    /// The username of a `Basic` authorization header, or `nil`.
    package static func fromAuthorization(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let decoded = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces))
        else { return nil }
        let text = String(decoding: decoded, as: UTF8.self)
        let user = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
        guard let user, !user.isEmpty else { return nil }
        return user
    }
}
