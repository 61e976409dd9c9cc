import Foundation

/// A delivery job to be queued: one request-to-be for one destination.
package struct NewJob: Sendable {
    /// Which destination sends it (`novu`, `segment`): the relay runs one lane per destination.
    package var destination: String
    /// Jobs with the same key for the same destination are sent strictly in queue order (the user).
    /// `nil`: the job is for no one (a Novu message without a subscriber): it can never be sent, so it is
    /// queued dead-lettered, and a replayed one is refused by its destination without a request.
    package var orderingKey: String?
    /// A short label for operators (`trigger`, `subscriber.upsert`, …).
    package var kind: String
    /// What the destination needs to build the request; opaque to the store.
    package var payload: Data
    /// The event that caused the job, kept for the dead-letter queue.
    package var event: Data?
    /// Keys that identify the source event. If any was seen before, the job is a duplicate and not queued.
    package var dedupeKeys: [String]
    /// Recorded with the job, so the other direction can link feedback to its cause. Its transaction also
    /// identifies the job: a job whose transaction is already recorded is a duplicate, so a correlated job
    /// needs no dedupe key of its own (each key costs the commit another index page; see decisions.md).
    package var correlation: Correlation?
    /// When set, the job goes straight to the dead-letter queue with this reason (it can never be sent,
    /// but must not be dropped silently either).
    package var deadLetterReason: String?
    /// Recorded with the job (not with a duplicate), for the funnel: the stage of a Novu message this
    /// feedback event reports. With a `cause`, only when that cause is recorded: the funnel counts the
    /// notifications this bridge triggered.
    package var step: FunnelStep?
    /// The transaction whose notification this feedback event reports. When the store holds its
    /// correlation, the event (a Segment event's JSON) is linked to it as it is queued — the cause's
    /// `eventProperties` join its `properties` — and `step` is recorded; when not, the job is queued as it
    /// is, without the step. The cause is looked up in the commit that queues the job: ingest pays for no
    /// separate read, and decides everything else before the store.
    package var cause: String?

    package init(
        destination: String,
        orderingKey: String?,
        kind: String,
        payload: Data,
        event: Data? = nil,
        dedupeKeys: [String] = [],
        correlation: Correlation? = nil,
        deadLetterReason: String? = nil,
        step: FunnelStep? = nil
    ) {
        self.step = step
        self.destination = destination
        self.orderingKey = orderingKey
        self.kind = kind
        self.payload = payload
        self.event = event
        self.dedupeKeys = dedupeKeys
        self.correlation = correlation
        self.deadLetterReason = deadLetterReason
    }
}
