import ArgumentParser
import Foundation
import Inbound

/// `bridge novu webhook recover --since T [--url U]`
struct NovuWebhookRecover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Ask Svix to send again every message that failed to the endpoint since a time."
    )

    @OptionGroup var options: NovuWebhookOptions
    @Option(help: "A duration back from now (6h, 2d) or an ISO 8601 time.") var since: String
    @Option(help: "The endpoint URL (default: the only endpoint, or the only one ending in /webhooks/novu).") var url: String?

    func validate() throws {
        guard SinceText.parse(since, now: Date()) != nil else {
            throw ValidationError("--since: expected a duration such as 6h or 2d, or an ISO 8601 time, got '\(since)'")
        }
    }

    func run() async throws {
        guard let date = SinceText.parse(since, now: Date()) else { throw ValidationError("--since: unreadable") }
        let recovery: WebhookRecovery
        do {
            recovery = try await options.admin().recover(url: url, since: date)
        } catch let failure as WebhookAdminFailure {
            throw NovuWebhookOptions.report(failure)
        }
        let task =
            recovery.taskId.map { " (task \(CLIOutput.printable($0)), \(CLIOutput.printable(recovery.taskStatus ?? "queued")))" } ?? ""
        print(
            "Svix resends the messages that failed since \(SvixRequests.timestamp(date)) to \(CLIOutput.printable(recovery.endpoint.url))\(task)"
        )
    }
}
