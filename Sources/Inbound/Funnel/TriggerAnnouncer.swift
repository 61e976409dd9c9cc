import Delivery
import Effectiveness
import Foundation
import Logging
import ServiceLifecycle

/// Queues `Notification Triggered` for the triggers Novu acknowledged (DESIGN §11).
///
/// An outbox: settling a trigger records it in the funnel (one row in the settle's transaction), and this
/// loop turns the rows into Segment events in batches, so the send path pays for no Segment job of its
/// own. A crash between the two leaves the rows unannounced, and they are announced after restart;
/// the event's `messageId` (`novu-trig-<transactionId>`) is also a dedupe key, so nothing goes twice.
public struct TriggerAnnouncer: Service {
    /// The feedback type the mapping file renames or switches off (`feedback: {notification.triggered: …}`).
    public static let type = "notification.triggered"

    public struct Configuration: Sendable {
        public var libraryVersion = "0.1.0"
        /// How long the loop rests when nothing is left to announce.
        public var idle: Duration = .seconds(1)
        public var batch = 500

        public init() {}
    }

    let configuration: Configuration
    let names: FeedbackNames
    let store: any FunnelStore
    let wake: @Sendable (String) -> Void
    let logger: Logger

    public init(
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

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    func loop() async {
        var failing = false
        while !Task.isCancelled {
            do {
                let announced = try await announceOnce()
                failing = false
                if announced < configuration.batch { try? await Task.sleep(for: configuration.idle) }
            } catch {
                if !failing { logger.warning("cannot announce triggered notifications; retrying", metadata: ["error": "\(error)"]) }
                failing = true
                try? await Task.sleep(for: configuration.idle * 5)
            }
        }
    }

    /// Announces one batch; returns how many triggers it took.
    @discardableResult
    public func announceOnce() async throws -> Int {
        let triggers = try await store.unannouncedTriggers(limit: configuration.batch)
        guard !triggers.isEmpty else { return 0 }
        let jobs = Self.jobs(for: triggers, names: names, libraryVersion: configuration.libraryVersion)
        let results = try await store.announce(jobs, transactionIds: triggers.map(\.transactionId))
        if results.contains(where: { if case .accepted = $0 { true } else { false } }) { wake("segment") }
        FunnelMetrics.record(triggers.map { FunnelObservation(workflow: $0.workflow, channel: "none", stage: "triggered") })
        return triggers.count
    }

    /// The Segment jobs of `triggers`; none when the mapping file switched the event off.
    public static func jobs(for triggers: [FunnelTrigger], names: FeedbackNames, libraryVersion: String) -> [NewJob] {
        guard let name = names.funnelEvent(type) else { return [] }
        let library: JSONValue = ["name": .string(FeedbackEvent.libraryName), "version": .string(libraryVersion)]
        return triggers.map { trigger in
            let (event, messageId) = EffectivenessEvent.triggered(trigger, name: name, library: library)
            return NewJob(
                destination: "segment",
                orderingKey: trigger.userId,
                kind: "track",
                payload: event.encoded(),
                dedupeKeys: ["segment-message:" + messageId]
            )
        }
    }
}
