import ArgumentParser
import Delivery
import Foundation
import Inbound
import JSON
import Logging
import MappingFiles
import Outbound

/// `bridge test-event`: what the bridge would send for an event, without sending (unless `--send`).
struct TestEvent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test-event",
        abstract: "Run a Segment event (or array) through validation and mapping and print the Novu requests it makes.",
        discussion: "With --novu, run a Novu webhook body instead and print the Segment events it makes. Nothing is sent unless --send."
    )

    @OptionGroup var options: ServeOptions
    @Argument(help: "A JSON file, or - for standard input.") var file: String
    @Flag(help: "Treat the input as a Novu webhook body.") var novu = false
    @Flag(help: "Really send the requests (needs NOVU_API_KEY, or SEGMENT_WRITE_KEY with --novu).") var send = false

    func run() async throws {
        let loaded = options.load()
        guard loaded.problems.isEmpty else {
            for problem in loaded.problems { CLIOutput.printError(problem) }
            throw ExitCode(78)
        }
        let bytes: Data
        do {
            bytes = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw ValidationError("cannot read \(file): \(error.localizedDescription)")
        }
        guard let json = try? JSONValue.parse(bytes) else {
            print(Self.pretty(["error": "InvalidJSON", "message": "the body is not valid JSON"]))
            throw ExitCode(1)
        }
        let requests = novu ? try segmentRequests(json, loaded) : try novuRequests(json, loaded)
        guard send else { return }
        if novu ? loaded.configuration.segmentWriteKey == nil : loaded.configuration.novuAPIKey == nil {
            throw ValidationError(novu ? "--send needs SEGMENT_WRITE_KEY" : "--send needs NOVU_API_KEY")
        }
        let client = CurlHTTPClient(threads: 2)
        for request in requests {
            do {
                let response = try await client.execute(request)
                print("→ \(response.status) \(responseExcerpt(response.body))")
            } catch {
                print("→ no answer: \(error.message)")
                throw ExitCode(1)
            }
        }
    }

    /// Segment event(s) → Novu requests; a refused event prints the 400 the port would answer.
    private func novuRequests(_ json: JSONValue, _ loaded: LoadedConfiguration) throws -> [HTTPClientRequest] {
        let config = loaded.configuration
        let mapper = SegmentMapper(rules: loaded.mapping?.rules ?? MappingRules(), environment: config.environment)
        var novu = NovuDestination.Configuration(apiKey: config.novuAPIKey, baseURL: config.novuAPIURL)
        novu.userAgent = "novu-segment-bridge/\(BridgeVersion.current)"
        let items: [JSONValue] = json.arrayValue ?? json["batch"]?.arrayValue ?? [json]
        var requests: [HTTPClientRequest] = []
        var refused = false
        for (index, item) in items.enumerated() {
            if items.count > 1 { print("# event \(index)") }
            guard var fields = item.objectValue else {
                print(Self.pretty(["error": "InvalidEventPayload", "message": "event must be a JSON object"]))
                refused = true
                continue
            }
            if fields["messageId"] == nil { fields["messageId"] = .string("test-event-\(index)") }
            switch mapper.map(SegmentEvent(json: fields)) {
            case .invalid(let message):
                print("400 " + Self.pretty(["error": "InvalidEventPayload", "message": .string(message)]))
                refused = true
            case .ignored(let reason):
                print("ignored (\(reason)): nothing would be sent")
            case .send(let call, _, _):
                let request = NovuRequest.make(call, idempotencyKey: call.transactionId, configuration: novu)
                print(Self.describe(request))
                requests.append(request)
            }
        }
        if refused { throw ExitCode(1) }
        return requests
    }

    /// A Novu webhook → the Segment batch it makes.
    private func segmentRequests(_ json: JSONValue, _ loaded: LoadedConfiguration) throws -> [HTTPClientRequest] {
        let config = loaded.configuration
        guard let webhook = NovuWebhook(json: json) else {
            print(
                "400 "
                    + Self.pretty([
                        "error": "InvalidWebhookPayload", "message": "type is required: the body is not a Novu webhook envelope",
                    ])
            )
            throw ExitCode(1)
        }
        let outcome = FeedbackEvent.make(
            webhook,
            names: loaded.mapping?.feedback ?? FeedbackNames(),
            cause: nil,
            libraryVersion: BridgeVersion.current
        )
        switch outcome {
        case .ignored(let reason):
            print("ignored (\(reason)): nothing would be sent")
            return []
        case .undeliverable(let event, _, let reason):
            print("would be dead-lettered (\(reason)):\n\(Self.pretty(event))")
            throw ExitCode(1)
        case .track(let event, let userId, _):
            let job = ClaimedJob(id: 0, destination: "segment", orderingKey: userId, kind: "track", payload: event.encoded())
            let segment = SegmentDestination(
                configuration: .init(writeKey: config.segmentWriteKey, baseURL: config.segmentAPIURL),
                client: CurlHTTPClient(threads: 1),
                logger: .init(label: "test-event")
            )
            let request = segment.makeRequest([job])
            print(Self.describe(request))
            return [request]
        }
    }

    static func describe(_ request: HTTPClientRequest) -> String {
        var lines = [request.redactedHead]
        if let body = try? JSONValue.parse(request.body) {
            lines.append("")
            lines.append(pretty(body))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func pretty(_ value: JSONValue) -> String { value.indentedString() }
}
