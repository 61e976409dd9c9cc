import Delivery
import Foundation
import TestSupport
import Testing

@Suite("Store capacity")
struct StoreCapacityTests {
    @Test(
        "full at the limit, and once full until 2% below it",
        arguments: [
            // (used, limit, wasFull, full)
            (0, nil, false, false),
            (Int64.max, nil, true, false),
            (999, 1000, false, false),
            (1000, 1000, false, true),
            (1001, 1000, false, true),
            (999, 1000, true, true),  // hysteresis: still full just below the limit
            (980, 1000, true, true),  // at the resume mark is not below it
            (979, 1000, true, false),
            (979, 1000, false, false),
            (0, 1, false, false),
            (1, 1, false, true),
            (0, 1, true, false),
        ] as [(Int64, Int64?, Bool, Bool)]
    )
    func decision(used: Int64, limit: Int64?, wasFull: Bool, full: Bool) {
        #expect(StoreCapacity.isFull(usedBytes: used, limit: limit, wasFull: wasFull) == full)
    }

    @Test("the refusal names the size, the variable and where ingest resumes")
    func message() {
        let status = StoreCapacity.Status(limit: 1000, usedBytes: 1200, full: true)
        #expect(status.refusal == StoreFull(usedBytes: 1200, limit: 1000, resumeBelow: 980))
        #expect(
            status.problem
                == "store holds 1200 bytes, above BRIDGE_MAX_STORE_BYTES=1000; ingest resumes below 980 bytes, "
                + "as delivery and pruning free space (or raise the limit)"
        )
        #expect(StoreCapacity.Status(limit: 1000, usedBytes: 1200, full: false).problem == nil)
        #expect(StoreCapacity.Status(limit: nil, usedBytes: nil, full: false).problem == nil)
    }

    func job(_ index: Int, bytes: Int = 4000) -> NewJob {
        NewJob(
            destination: "novu",
            orderingKey: "u\(index)",
            kind: "trigger",
            payload: Data(String(repeating: "p", count: bytes).utf8),
            dedupeKeys: ["segment:\(index)"]
        )
    }

    @Test("the size counts pages in use: it falls when pruning frees pages, though the file does not shrink")
    func sizeFollowsPagesInUse() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        let empty = try await store.storeBytes()
        _ = try await store.enqueue((0..<500).map { job($0) })
        let loaded = try await store.storeBytes()
        #expect(loaded - empty > 500 * 4000)
        let claimed = try await store.claim(destination: "novu", limit: 500, now: Date().addingTimeInterval(1))
        try await store.settle(claimed.map { Settlement(jobId: $0.id, outcome: .delivered) })
        let filePages = try await store.filePages()
        _ = try await store.prune(now: Date().addingTimeInterval(10), retention: .seconds(1), correlationRetention: .seconds(1))
        let pruned = try await store.storeBytes()
        #expect(pruned < loaded - 500 * 4000, "bytes: empty \(empty), loaded \(loaded), pruned \(pruned)")
        #expect(try await store.filePages() == filePages)
    }

    @Test("above the cap ingest throws StoreFull before touching the store, and resumes by itself below it")
    func intakeRefusesAndResumes() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        _ = try await store.enqueue((0..<300).map { job($0) })
        let used = try await store.storeBytes()
        let capacity = StoreCapacity(limit: used - 1, onDemandInterval: .zero, logger: quietLogger()) {
            try await store.storeBytes()
        }
        let intake = Intake(store: store, capacity: capacity)
        #expect(try await intake.submit([job(1000)]).count == 1)  // not measured yet: not full
        try await capacity.refresh()
        #expect(capacity.status.full)
        let before = try await store.dedupeKeys().count
        await #expect(throws: StoreFull.self) { try await intake.submit([job(1001)]) }
        // Refused before the store: its dedupe key is not remembered, so the sender's retry is no duplicate.
        #expect(try await store.dedupeKeys().count == before)
        #expect(try await store.pendingCount(destination: "novu") == 301)
        // Delivery goes on, and pruning frees the pages: the next request measures again and gets in.
        let claimed = try await store.claim(destination: "novu", limit: 500, now: Date().addingTimeInterval(1))
        try await store.settle(claimed.map { Settlement(jobId: $0.id, outcome: .delivered) })
        _ = try await store.prune(now: Date().addingTimeInterval(10), retention: .seconds(1), correlationRetention: .seconds(1))
        #expect(try await intake.submit([job(1001)]) != [])
        #expect(!capacity.status.full)
    }

    @Test("without a limit nothing is measured and nothing refused")
    func noLimit() async throws {
        let measured = Locked(0)
        let capacity = StoreCapacity(limit: nil, logger: quietLogger()) {
            measured.withLock { $0 += 1 }
            return .max
        }
        try await capacity.refresh()
        try await capacity.admit()
        #expect(measured.value == 0)
        #expect(capacity.status == StoreCapacity.Status(limit: nil, usedBytes: nil, full: false))
    }
}
