import Foundation

/// A record committed beside a request's jobs: `key` is ever committed with one `value` only.
///
/// The segment port binds a webhook signature to the digest of the body it signed: Segment signs only the
/// first element of an array body, so the same signature arriving with other bytes is a forgery.
public struct KeyBinding: Sendable, Equatable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// `binding.key` was committed before with another value; nothing of the request was committed.
public struct BindingConflict: Error, Sendable, Equatable {
    public var key: String
    public init(key: String) { self.key = key }
}
