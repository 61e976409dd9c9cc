import Foundation
import Hummingbird

/// The benchmark ceiling: a bare Hummingbird endpoint that reads and parses a JSON body, then answers 200.
/// `make bench` measures it beside the bridge; it is the most any Hummingbird service can take here.
@main
struct BenchCeiling {
    static func main() async throws {
        let port = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 9180
        let router = Router()
        router.post("/") { request, context -> HTTPResponse.Status in
            let buffer = try await request.body.collect(upTo: 8 * 1024 * 1024)
            _ = try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))
            return .ok
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
        try await app.runService()
    }
}
