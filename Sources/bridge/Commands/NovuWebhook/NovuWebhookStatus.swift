import ArgumentParser
import Foundation
import Inbound

/// `bridge novu webhook status [--url U]`
struct NovuWebhookStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the Novu webhook endpoint: URL, event filter, whether Svix disabled it, recent failed attempts."
    )

    @OptionGroup var options: NovuWebhookOptions
    @Option(help: "The endpoint URL (default: the only endpoint, or the only one ending in /webhooks/novu).") var url: String?
    @Option(help: "How many recent failed attempts to show.") var failures = 10

    func run() async throws {
        let status: WebhookEndpointStatus
        do {
            status = try await options.admin().status(url: url, failures: failures)
        } catch let failure as WebhookAdminFailure {
            throw NovuWebhookOptions.report(failure)
        }
        let endpoint = status.endpoint
        print("endpoint:    \(CLIOutput.printable(endpoint.url))")
        print("id:          \(CLIOutput.printable(endpoint.id))")
        print("application: \(CLIOutput.printable(status.appId))")
        print("events:      \(endpoint.eventTypes.map { CLIOutput.printable($0.joined(separator: ", ")) } ?? "all event types")")
        print("disabled:    \(endpoint.disabled ? "yes (Svix stopped sending: fix the endpoint, then run setup to enable it)" : "no")")
        guard !status.recentFailures.isEmpty else {
            print("recent failed attempts: none")
            return
        }
        print("recent failed attempts:")
        var rows = [["TIME", "STATUS", "MESSAGE", "RESPONSE"]]
        for attempt in status.recentFailures {
            let code = attempt.responseStatusCode == 0 ? "no answer" : String(attempt.responseStatusCode)
            rows.append([attempt.timestamp, code, attempt.messageId, attempt.response])
        }
        print(CLIOutput.table(rows))
    }
}
