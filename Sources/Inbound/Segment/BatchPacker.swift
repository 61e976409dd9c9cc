/// Packs events into Segment Tracking API batches (pure).
///
/// Limits follow Segment's own libraries (analytics-python): an event of at most 32 KiB, a batch body
/// of at most 475,000 bytes — under the API's 500 KB with room for the envelope — and 2,500 events.
package enum BatchPacker {
    package static let maxEventBytes = 32 * 1024
    package static let maxBatchBytes = 475_000
    package static let maxBatchEvents = 2500
    /// `{"batch":[` … `],"sentAt":"2026-11-28T10:00:00.000Z"}`.
    static let envelopeBytes = 64

    /// Groups events, given their encoded sizes, into batches in order; an event over the per-event limit
    /// goes alone into `oversize` (it can never be sent, and must not sink a batch with it).
    package static func pack(
        sizes: [Int],
        maxEvents: Int = maxBatchEvents,
        maxBytes: Int = maxBatchBytes
    ) -> (batches: [[Int]], oversize: [Int]) {
        var batches: [[Int]] = []
        var oversize: [Int] = []
        var current: [Int] = []
        var bytes = envelopeBytes
        for (index, size) in sizes.enumerated() {
            if size > maxEventBytes {
                oversize.append(index)
                continue
            }
            let added = size + (current.isEmpty ? 0 : 1)  // the comma
            if !current.isEmpty, current.count >= maxEvents || bytes + added > maxBytes {
                batches.append(current)
                current = []
                bytes = envelopeBytes
            }
            bytes += size + (current.isEmpty ? 0 : 1)
            current.append(index)
        }
        if !current.isEmpty { batches.append(current) }
        return (batches, oversize)
    }
}
