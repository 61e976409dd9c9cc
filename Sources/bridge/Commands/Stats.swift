import ArgumentParser
import Delivery
import Foundation

/// `bridge stats`: the queue per destination, read from the store (works while serve runs).
struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show queued, delivered, retried and dead-lettered events per destination, and holds."
    )

    @OptionGroup var store: StoreOptions
    @Flag(help: "JSON instead of a table.") var json = false

    func run() async throws {
        let opened = try await store.open()
        let stats = try await opened.stats(now: Date(), destinations: ["novu", "segment"])
        if json {
            print(try CLIOutput.json(stats))
            return
        }
        var rows = [["DESTINATION", "QUEUED", "OLDEST", "DELIVERED 1H/24H", "RETRIED 1H/24H", "DEAD 1H/24H", "STATE"]]
        for entry in stats {
            rows.append([
                entry.destination, String(entry.queued), entry.oldestPendingAge.map(Self.age) ?? "-",
                "\(entry.lastHour.delivered)/\(entry.lastDay.delivered)", "\(entry.lastHour.retried)/\(entry.lastDay.retried)",
                "\(entry.lastHour.deadLettered)/\(entry.lastDay.deadLettered)",
                entry.held ? "held: \(entry.holdReason ?? "credentials refused")" : "ok",
            ])
        }
        print(CLIOutput.table(rows))
        let follows = try await opened.followFigures()
        guard follows.followed > 0 || !follows.ended.isEmpty else { return }
        // The activity poller's transactions (NOVU_POLL): still followed, and why the others ended.
        let ended = follows.ended.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        print("activity poller: followed: \(follows.followed)" + (ended.isEmpty ? "" : "; ended \(ended)"))
    }

    static func age(_ seconds: Double) -> String {
        switch seconds {
        case ..<120: "\(Int(seconds))s"
        case ..<7200: "\(Int(seconds / 60))m"
        default: "\(Int(seconds / 3600))h"
        }
    }
}
