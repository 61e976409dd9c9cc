import Delivery
import Effectiveness
import Foundation
import JSON
import Logging
import ServiceLifecycle

/// Queues `Notification Triggered` for the triggers Novu acknowledged (DESIGN §11).
///
/// An outbox: settling a trigger records it in the funnel (one row in the settle's transaction), and this
/// loop turns the rows into Segment events in batches, so the send path pays for no Segment job of its
/// own. A crash between the two leaves the rows unannounced, and they are announced after restart. A row
/// is marked announced in the transaction that queues its event, so the event needs no dedupe key of its
/// own (each costs the commit an index insert); Segment dedupes a resend on `novu-trig-<transactionId>`.
package struct TriggerAnnouncer: Service {
    /// The feedback type the mapping file renames or switches off (`feedback: {notification.triggered: …}`).
    package static let type = "notification.triggered"

    package struct Configuration: Sendable {
        package var libraryVersion = "0.1.0"
        /// One round per this long, of at most `batch` triggers: announcements are paced (2,000 a second by
        /// default), so a burst of triggers is sent to Novu first and announced over the seconds after it,
        /// instead of every trigger's Segment event competing with the next trigger for the machine.
        package var interval: Duration = .seconds(1)
        package var batch = 2000

        package init() {}
    }

    let configuration: Configuration
    let names: FeedbackNames
    let store: any FunnelStore
    let wake: @Sendable (String) -> Void
    let logger: Logger

    package init(
        configuration: Configuration,
        names: FeedbackNames,
        store: any FunnelStore,
        wake: @escaping @Sendable (String) -> Void,
        logger: Logger
    ) {
        self.configuration = configuration
        self.names = names
        self.store = store
        self.wake = wake
        self.logger = logger
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    func loop() async {
        var failing = false
        while !Task.isCancelled {
            let round = ContinuousClock.now
            do {
                try await announceOnce()
                failing = false
            } catch {
                if !failing { logger.warning("cannot announce triggered notifications; retrying", metadata: ["error": "\(error)"]) }
                failing = true
            }
            try? await Task.sleep(until: round + configuration.interval, clock: .continuous)
        }
    }

    /// Announces one batch; returns how many triggers it took.
    @discardableResult
    package func announceOnce() async throws -> Int {
        let triggers = try await store.unannouncedTriggers(limit: configuration.batch)
        guard !triggers.isEmpty else { return 0 }
        let jobs = Self.jobs(for: triggers, names: names, libraryVersion: configuration.libraryVersion)
        let results = try await store.announce(jobs, through: triggers.map(\.position).max() ?? 0)
        if results.contains(where: { if case .accepted = $0 { true } else { false } }) { wake("segment") }
        FunnelMetrics.record(triggers.map { FunnelObservation(workflow: $0.workflow, channel: "none", stage: "triggered") })
        return triggers.count
    }

    /// Announcements share jobs, so a trigger costs the queue a fraction of a job: at most 100 events and
    /// 30,000 bytes a job, under Segment's 32 KB per event the destination checks each job against. No
    /// envelope: the job's payload is the events alone, comma-separated.
    static let jobLimits = BatchLimits(maxItems: 100, maxBytes: 30_000, envelopeBytes: 0)

    /// The Segment jobs of `triggers`, several events to a job (`kind` `track.batch`: the payload is the
    /// events comma-separated, spliced into `/v1/batch` as they are); none when the mapping file switched the
    /// event off. Each job has an ordering key of its own, so the lane sends them side by side, packed
    /// into one request: an announcement waits for no user's other events, and none waits for it.
    package static func jobs(for triggers: [FunnelTrigger], names: FeedbackNames, libraryVersion: String) -> [NewJob] {
        guard let name = names.funnelEvent(type) else { return [] }
        let library: JSONValue = ["name": .string(FeedbackEvent.libraryName), "version": .string(libraryVersion)]
        let events = triggers.map { EffectivenessEvent.triggered($0, name: name, library: library).event.encoded() }
        let chunks = BatchPlanner.pack(sizes: events.map(\.count), limits: jobLimits)
        // An announcement is a few hundred bytes; one over the limit (a huge context) starts a job alone.
        return chunks.batches.map { chunk in
            var payload = Data()
            for (position, index) in chunk.enumerated() {
                if position > 0 { payload.append(UInt8(ascii: ",")) }
                payload.append(events[index])
            }
            return NewJob(
                destination: "segment",
                orderingKey: "\(type):\(triggers[chunk[0]].transactionId)",
                kind: "track.batch",
                payload: payload
            )
        }
    }
}
