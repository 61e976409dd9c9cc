import Foundation

/// Retention and figures of the in-memory store (see `StoreMaintenance`).
extension MemoryQueue {
    /// See `StoreMaintenance.prune`; everything goes in one pass (there is no writer to keep free).
    mutating func prune(now: Date, retention: Duration, correlationRetention: Duration, deadLetterRetention: Duration) -> PruneResult {
        var result = PruneResult()
        let jobCutoff = now.addingTimeInterval(-retention.timeInterval)
        let deadCutoff = now.addingTimeInterval(-deadLetterRetention.timeInterval)
        // A correlation is also the dedupe entry of the job it came with: kept at least as long as dedupe keys.
        let correlationCutoff = now.addingTimeInterval(-max(correlationRetention, retention).timeInterval)
        for job in jobs.values {
            guard let settledAt = job.settledAt else { continue }
            if job.state == .dead {
                guard settledAt < deadCutoff else { continue }
                result.deadLetters += 1
            } else {
                guard settledAt < jobCutoff else { continue }
                result.jobs += 1
            }
            remove(job.id)
        }
        result.dedupeKeys = forgetDedupeKeys(before: jobCutoff)
        result.correlations = forgetCorrelations(before: correlationCutoff)
        return result
    }

    /// See `StoreMaintenance.queueFigures`: the oldest queued job is the one queued first (lowest id).
    func queueFigures(now: Date, destinations: [String]) -> [QueueFigures] {
        destinations.map { name in
            let pending = (lanes[name] ?? [:]).values.flatMap(\.pending)
            return QueueFigures(
                destination: name,
                queued: pending.count,
                oldestPendingAge: pending.min().flatMap { jobs[$0] }.map { max(0, now.timeIntervalSince($0.createdAt)) }
            )
        }
    }

    /// See `StoreMaintenance.stats`.
    func stats(now: Date, destinations: [String]) -> [DestinationStats] {
        destinations.map { name in
            let ofDestination = jobs.values.filter { $0.destination == name }
            let pending = ofDestination.filter { $0.state == .pending }
            var stats = DestinationStats(destination: name)
            stats.queued = pending.count
            stats.oldestPendingAge = pending.map(\.createdAt).min().map { max(0, now.timeIntervalSince($0)) }
            for (seconds, keyPath) in [(3600.0, \DestinationStats.lastHour), (86400, \DestinationStats.lastDay)] {
                let since = now.addingTimeInterval(-seconds)
                var window = DestinationStats.Window()
                for job in ofDestination {
                    if let settledAt = job.settledAt, settledAt >= since {
                        if job.state == .dead { window.deadLettered += 1 } else { window.delivered += 1 }
                    }
                    window.retried += job.history.count(where: { $0.outcome != .dead && $0.record.at >= since })
                }
                stats[keyPath: keyPath] = window
            }
            if let state = destinationStates[name] {
                stats.held = state.held
                stats.holdReason = state.reason
            }
            return stats
        }
    }

    /// An estimate of the bytes held: payloads, kept events and keys. Enough for `BRIDGE_MAX_STORE_BYTES` to
    /// mean something; nothing is on disk.
    var bytes: Int64 {
        let jobBytes = jobs.values.reduce(0) { total, job in
            total + job.payload.count + (job.event?.count ?? 0)
                + job.history.reduce(0) { $0 + ($1.record.request?.utf8.count ?? 0) + ($1.record.response?.utf8.count ?? 0) }
        }
        let keyBytes = dedupe.keys.reduce(0) { $0 + $1.utf8.count } + correlations.count * 128
        return Int64(jobBytes + keyBytes)
    }
}
