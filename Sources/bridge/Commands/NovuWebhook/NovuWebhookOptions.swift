import ArgumentParser
import Delivery
import Foundation
import Inbound

/// How the `novu webhook` commands reach Novu: the variables `serve` reads, and only those.
struct NovuWebhookOptions: ParsableArguments {
    @Option(help: "Novu API base (NOVU_API_URL).") var novuApiUrl: String?

    /// The variables these commands read; a problem with any other is not theirs to report.
    static let variables: Set<String> = ["NOVU_API_KEY", "NOVU_API_KEY_FILE", "NOVU_API_URL", "SVIX_API_URL"]

    /// The admin for the configured Novu; exits 78 (configuration error) naming each problem.
    func admin() throws -> NovuWebhookAdmin {
        var environment = ProcessInfo.processInfo.environment
        if let novuApiUrl { environment["NOVU_API_URL"] = novuApiUrl }
        let (config, problems) = BridgeConfiguration.load(environment)
        var mine = problems.filter { Self.variables.contains($0.variable) }.map(\.description)
        if config.novuAPIKey == nil, mine.isEmpty {
            mine.append("NOVU_API_KEY: required: the secret key of the Novu environment (or NOVU_API_KEY_FILE)")
        }
        guard mine.isEmpty, let key = config.novuAPIKey else {
            for problem in mine { CLIOutput.printError(problem) }
            throw ExitCode(78)
        }
        var configuration = NovuWebhookAdmin.Configuration(
            novuAPIKey: key,
            novuBaseURL: config.novuAPIURL,
            svixBaseURL: config.svixAPIURL
        )
        configuration.userAgent = "novu-segment-bridge/\(BridgeVersion.current)"
        return NovuWebhookAdmin(configuration: configuration, client: CurlHTTPClient(threads: 1))
    }

    /// Prints `failure` and its advice to standard error, and the manual steps when `steps` is given;
    /// then the command exits 1.
    static func report(_ failure: WebhookAdminFailure, steps: String? = nil) -> ExitCode {
        CLIOutput.printError("error: \(CLIOutput.printable(failure.description))")
        if let advice = ManualSteps.advice(for: failure) { CLIOutput.printError(advice) }
        if let steps { CLIOutput.printError("\n" + steps) }
        return ExitCode(1)
    }
}

extension CLIOutput {
    /// One line on standard error.
    static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
