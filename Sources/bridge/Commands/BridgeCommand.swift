import ArgumentParser

/// `bridge`: the novu-segment bridge's command line.
@main
struct BridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridge",
        abstract: "Segment ⇄ Novu bridge: Segment events trigger Novu workflows; Novu delivery events flow back to Segment.",
        version: BridgeVersion.current,
        subcommands: [
            Serve.self, CheckConfig.self, TestEvent.self, Stats.self, Report.self, DeadLetters.self, NovuCommands.self, Doctor.self,
            MigrateStore.self, Version.self,
        ],
        defaultSubcommand: Serve.self
    )
}

/// `bridge version`
struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the bridge's version.")

    func run() {
        print(BridgeVersion.current)
    }
}
