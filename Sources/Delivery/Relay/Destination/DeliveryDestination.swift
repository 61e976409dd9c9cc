import Foundation

/// A place the relay sends jobs to (Novu, Segment). It knows the wire; the relay knows the rules.
package protocol DeliveryDestination: Sendable {
    /// The `destination` value its jobs carry.
    var name: String { get }

    /// Groups claimed jobs into requests: one job per request, or several where the destination
    /// takes batches. Every job appears in exactly one group.
    func plan(_ jobs: [ClaimedJob]) -> [[ClaimedJob]]

    /// Like `plan(_:)`; while `gathering`, jobs that would go out in a smaller request than the
    /// destination would like may be left out, as `waiting`: the relay holds them, still claimed, and
    /// plans them again with the next jobs it claims, within the destination's gather window.
    func plan(_ jobs: [ClaimedJob], gathering: Bool) -> (requests: [[ClaimedJob]], waiting: [ClaimedJob])

    /// Sends one group as planned and judges the answer: one result per job, in the group's order.
    func deliver(_ jobs: [ClaimedJob]) async -> [AttemptResult]

    /// What sending `jobs` as one request costs against the destination's rate limit.
    func cost(of jobs: [ClaimedJob]) -> Int
}

extension DeliveryDestination {
    /// One request, one token.
    package func cost(of jobs: [ClaimedJob]) -> Int { 1 }

    /// Nothing is worth waiting for.
    package func plan(_ jobs: [ClaimedJob], gathering: Bool) -> (requests: [[ClaimedJob]], waiting: [ClaimedJob]) {
        (plan(jobs), [])
    }
}

/// The first `limit` bytes of an answer as text, for logs and the dead-letter queue.
package func responseExcerpt(_ body: Data, limit: Int = 2048) -> String {
    String(decoding: body.prefix(limit), as: UTF8.self)
}
