/// The store could not do what was asked; ingest answers 503 for this.
package struct StoreError: Error, Sendable, CustomStringConvertible {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}
