import Foundation

/// A record committed beside a request's jobs: `key` is ever committed with one `value` only.
///
/// The segment port binds a webhook signature to the digest of the body it signed: Segment signs only the
/// first element of an array body, so the same signature arriving with other bytes is a forgery.
package struct KeyBinding: Sendable, Equatable {
    package var key: String
    package var value: String

    package init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// `binding.key` was committed before with another value; nothing of the request was committed.
package struct BindingConflict: Error, Sendable, Equatable {
    package var key: String
    package init(key: String) { self.key = key }
}
