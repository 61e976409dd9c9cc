import Delivery
import Effectiveness
import Foundation
import JSON
import Logging

/// Attributes goal events to notifications (DESIGN §11) as a destination of the relay: the segment port
/// queues each goal event for `conversion` in the commit that acknowledges it, so a goal is durable,
/// retried on a store failure and handled in order per user like any other job. Delivering one reads
/// the user's recent messages, lets `Attribution` decide, and commits the conversions with their
/// `Notification Converted` events in one transaction: once per (transaction, goal), however often a
/// goal is handled again.
package struct ConversionDestination: DeliveryDestination {
    /// The feedback type the mapping file renames or switches off (`feedback: {notification.converted: …}`).
    package static let type = "notification.converted"
    package let name = Goal.destination
    let rules: ConversionRules
    let names: FeedbackNames
    let store: any FunnelStore
    let libraryVersion: String
    let wake: @Sendable (String) -> Void
    let logger: Logger

    package init(
        rules: ConversionRules,
        names: FeedbackNames,
        store: any FunnelStore,
        libraryVersion: String,
        wake: @escaping @Sendable (String) -> Void,
        logger: Logger
    ) {
        self.rules = rules
        self.names = names
        self.store = store
        self.libraryVersion = libraryVersion
        self.wake = wake
        self.logger = logger
    }

    package func plan(_ jobs: [ClaimedJob]) -> [[ClaimedJob]] { jobs.map { [$0] } }

    package func plan(_ jobs: [ClaimedJob], gathering: Bool) -> (requests: [[ClaimedJob]], waiting: [ClaimedJob]) { (plan(jobs), []) }

    package func cost(of jobs: [ClaimedJob]) -> Int { 0 }

    package func deliver(_ jobs: [ClaimedJob]) async -> [AttemptResult] {
        var results: [AttemptResult] = []
        for job in jobs { results.append(await attribute(job)) }
        return results
    }

    func attribute(_ job: ClaimedJob) async -> AttemptResult {
        guard let event = try? JSONValue.parse(job.payload), let goal = Goal(event: event, receivedAt: job.createdAt) else {
            return AttemptResult(.refused, reason: "unreadable goal event")
        }
        do {
            // A window starts at delivery, which follows the message's first sight: a day of slack.
            let since = goal.timestamp.addingTimeInterval(-rules.longestWindow - 86400)
            // The deliveries and opens reported just before the goal, too.
            try await store.foldAllFunnelSteps()
            let (messages, triggers) = try await store.conversionCandidates(userId: goal.userId, since: since)
            let conversions = Attribution.conversions(for: goal, rules: rules, messages: messages, triggers: triggers)
            guard !conversions.isEmpty else { return AttemptResult(.delivered(), reason: "no notification to credit") }
            let recorded = try await store.commit(Self.commit(conversions, names: names, libraryVersion: libraryVersion))
            if !recorded.isEmpty { wake("segment") }
            FunnelMetrics.record(
                recorded.map { record in
                    let channel = conversions.first { $0.message.messageId == record.messageId }?.message.channel ?? "none"
                    return FunnelObservation(workflow: record.workflow, channel: channel, stage: "converted")
                }
            )
            return AttemptResult(.delivered(), reason: recorded.isEmpty ? "converted before" : "converted")
        } catch {
            return AttemptResult(.retry, reason: "store: \(error)")
        }
    }

    /// The conversions with their `Notification Converted` jobs (none when the event is switched off:
    /// the funnel still counts them).
    static func commit(_ conversions: [Conversion], names: FeedbackNames, libraryVersion: String) -> ConversionCommit {
        let name = names.funnelEvent(type)
        let library: JSONValue = ["name": .string(FeedbackEvent.libraryName), "version": .string(libraryVersion)]
        return ConversionCommit(
            conversions: conversions.map { conversion in
                guard let name else { return (conversion.record, nil) }
                let (event, messageId) = EffectivenessEvent.converted(conversion, name: name, library: library)
                let job = NewJob(
                    destination: "segment",
                    orderingKey: conversion.goal.userId,
                    kind: "track",
                    payload: event.encoded(),
                    dedupeKeys: ["segment-message:" + messageId]
                )
                return (conversion.record, job)
            }
        )
    }
}
