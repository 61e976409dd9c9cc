import ArgumentParser
import Foundation
import Inbound

/// `bridge novu webhook setup --url U --secret-file F [--events …]`
struct NovuWebhookSetup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Create (or find) the Novu webhook endpoint for the bridge and write its signing secret to a file.",
        discussion: """
            Idempotent: a second run finds the endpoint, corrects its event filter if it differs, and rewrites the \
            secret file only if the secret changed. The secret is never printed. On failure, prints the manual steps \
            and exits 1.
            """
    )

    @OptionGroup var options: NovuWebhookOptions
    @Option(help: "The endpoint URL: the novu port's /webhooks/novu as Novu reaches it.") var url: String
    @Option(help: "Where to write the signing secret (mode 0600); point NOVU_WEBHOOK_SECRET_FILE at it.") var secretFile: String
    @Option(help: "Event types, comma-separated; message.* style globs allowed. Default: the types the bridge maps.")
    var events: String?

    func validate() throws {
        guard WebhookURL.isDeliverable(url) else {
            throw ValidationError("--url: expected an http(s) URL such as https://bridge.example.com/webhooks/novu")
        }
        // Checked before anything changes in Svix: an endpoint whose secret cannot be saved is half a setup.
        let directory = (secretFile as NSString).deletingLastPathComponent
        guard FileManager.default.isWritableFile(atPath: directory.isEmpty ? "." : directory) else {
            throw ValidationError("--secret-file: the directory of \(secretFile) does not exist or cannot be written")
        }
        if let events {
            do { _ = try WebhookEventTypes.expand(events) } catch { throw ValidationError("--events: \(error)") }
        }
    }

    func run() async throws {
        let eventTypes = try events.map { try WebhookEventTypes.expand($0) } ?? WebhookEventTypes.bridgeDefault
        let admin = try options.admin()
        let outcome: WebhookSetupOutcome
        do throws(WebhookAdminFailure) {
            outcome = try await admin.setup(url: url, eventTypes: eventTypes)
        } catch {
            let steps = ManualSteps.text(url: url, eventTypes: eventTypes, secretFile: secretFile, portalURL: error.portalURL)
            throw NovuWebhookOptions.report(error, steps: steps)
        }
        let endpoint = outcome.endpoint
        print("endpoint \(CLIOutput.printable(endpoint.id)): \(CLIOutput.printable(endpoint.url)) (\(outcome.change.rawValue))")
        print("event types: \(eventTypes.joined(separator: ", "))")
        let written: SecretFileWrite.Outcome
        do {
            written = try SecretFileWrite.write(outcome.secret.key, to: secretFile)
        } catch {
            CLIOutput.printError("error: the endpoint is set up, but its signing secret could not be saved: \(error)")
            CLIOutput.printError(
                "Run the command again, or copy the signing secret from Novu's webhook settings into \(secretFile) (mode 0600)."
            )
            throw ExitCode(1)
        }
        switch written {
        case .written: print("signing secret written to \(secretFile) (mode 0600)")
        case .unchanged: print("signing secret in \(secretFile) is current")
        }
        if outcome.change == .unchanged, written == .unchanged { print("nothing changed") }
        print("serve reads it with NOVU_WEBHOOK_SECRET_FILE=\(secretFile)")
    }
}
