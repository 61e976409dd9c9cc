import Foundation
import Synchronization

/// Which Novu API version this process uses for the calls that have a v1 twin: the subscriber upsert
/// and the topic subscription.
///
/// Every call starts on v2. Self-hosted Novu 2.1 has no `POST /v2/subscribers` and no v2 topic routes,
/// and answers them with a route-not-found 404 (`NovuFallback.isRouteNotFound`). After the first such
/// answer for an operation the destination sends that operation's v1 twin instead, at once and for the
/// rest of the process: a deployment does not grow routes while the bridge runs, and a restart (an
/// upgraded Novu, say) tries v2 again. Shared by the destination (which changes it) and whatever
/// reports it (`/readyz`, `bridge check-config`, a later `bridge doctor`).
package final class NovuAPIVersions: Sendable {
    /// One operation that has fallen back to v1.
    package struct Fallback: Sendable, Equatable {
        /// The operation now sent as v1.
        package var operation: NovuCall.Operation
        /// The v2 route that answered route-not-found (`POST /v2/subscribers`): a template, never a
        /// subscriber id or topic key.
        package var route: String
        /// When it answered.
        package var at: Date

        package init(operation: NovuCall.Operation, route: String, at: Date) {
            self.operation = operation
            self.route = route
            self.at = at
        }
    }

    private let fallbacks = Mutex<[NovuCall.Operation: Fallback]>([:])

    package init() {}

    /// Whether `operation` goes out as its v1 twin.
    package func usesV1(_ operation: NovuCall.Operation) -> Bool {
        fallbacks.withLock { $0[operation] != nil }
    }

    /// Records that `operation`'s v2 route answered route-not-found. Returns `true` only for the call
    /// that made the change, so the caller logs the fallback once, however many sends race to it.
    @discardableResult
    package func fallBack(_ operation: NovuCall.Operation, route: String, at: Date = Date()) -> Bool {
        fallbacks.withLock { fallbacks in
            guard fallbacks[operation] == nil else { return false }
            fallbacks[operation] = Fallback(operation: operation, route: route, at: at)
            return true
        }
    }

    /// The fallbacks taken so far, in the order they were taken.
    package var current: [Fallback] {
        fallbacks.withLock { Array($0.values) }.sorted { ($0.at, $0.route) < ($1.at, $1.route) }
    }

    /// One line for people: `v2`, or `v1 fallback after 404 on POST /v2/subscribers` (every route that
    /// fell back, comma-separated; the calls not named stay on v2).
    package var summary: String {
        let routes = current.map(\.route)
        return routes.isEmpty ? "v2" : "v1 fallback after 404 on " + routes.joined(separator: ", ")
    }
}
