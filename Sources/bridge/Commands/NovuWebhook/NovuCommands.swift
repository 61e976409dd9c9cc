import ArgumentParser

/// `bridge novu …`: Novu's side of the bridge.
struct NovuCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "novu",
        abstract: "Configure Novu for the bridge.",
        subcommands: [NovuWebhookCommands.self]
    )
}

/// `bridge novu webhook setup | status | recover`: Novu's outbound webhook endpoint (run by Svix).
struct NovuWebhookCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook",
        abstract: "Set up, inspect or recover the Novu webhook endpoint that feeds the novu port.",
        discussion: """
            Reads NOVU_API_KEY (or NOVU_API_KEY_FILE) and NOVU_API_URL as serve does; SVIX_API_URL replaces the \
            Svix host chosen from the token Novu issues. Needs a Novu plan with webhooks.
            """,
        subcommands: [NovuWebhookSetup.self, NovuWebhookStatus.self, NovuWebhookRecover.self]
    )
}
