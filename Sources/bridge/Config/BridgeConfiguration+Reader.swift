import Delivery
import Foundation

/// Reads typed values out of the environment, collecting problems instead of stopping at the first.
/// Not private so that tests read a variable exactly as `load` does, including those `load` reads next.
struct Reader {
    let environment: [String: String]
    var problems: [BridgeConfiguration.Problem] = []

    mutating func problem(_ variable: String, _ message: String) {
        let problem = BridgeConfiguration.Problem(variable: variable, message: message)
        // A value is read again to show it in a later problem; what is wrong with reading it is said once.
        guard !problems.contains(problem) else { return }
        problems.append(problem)
    }

    /// The value, trimmed of surrounding whitespace and line breaks, or `nil` when unset or blank. A secret
    /// comes from `NAME` or from the file `NAME_FILE` names, never both. A value still holding a control
    /// character is a problem: it would end up in a header line or a log line.
    mutating func string(_ name: String) -> String? {
        let variable: String
        let value: String
        let twin = BridgeConfiguration.fileVariable(name)
        let direct = environment[name].map(BridgeConfiguration.trimmed).flatMap { $0.isEmpty ? nil : $0 }
        if let path = BridgeConfiguration.secretFile(name, in: environment) {
            guard direct == nil else {
                problem(name, "both \(name) and \(twin) are set; set one of them")
                return nil
            }
            guard BridgeConfiguration.controlCharacter(in: path) == nil else {
                problem(twin, "expected a file path without control characters")
                return nil
            }
            switch SecretFile.contents(of: path) {
            case .failure(let failure):
                // The reason only: a file that is not what it should be may still hold part of a secret.
                problem(twin, "cannot read \(path): \(failure.reason)")
                return nil
            case .success(let content):
                let text = BridgeConfiguration.trimmed(content)
                guard !text.isEmpty else {
                    problem(twin, "\(path) is empty")
                    return nil
                }
                (variable, value) = (twin, text)
            }
        } else {
            guard let direct else { return nil }
            (variable, value) = (name, direct)
        }
        if let scalar = BridgeConfiguration.controlCharacter(in: value) {
            let code = String(format: "U+%04X", scalar.value)
            problem(variable, "contains the control character \(code), which no value may hold")
            return nil
        }
        return value
    }

    /// Values separated by commas or spaces.
    mutating func list(_ name: String) -> [String] {
        (string(name) ?? "").split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
    }

    /// What to show of a bad value: never a secret.
    private func shown(_ name: String, _ value: String) -> String {
        BridgeConfiguration.secretVariables.contains(name) ? "" : ", got '\(value)'"
    }

    /// A size such as `500MB`, `10GB`, `2GiB` or a number of bytes; at least 1 MB.
    mutating func bytes(_ name: String) -> Int64? {
        guard let value = string(name) else { return nil }
        guard let bytes = ByteSizeText.parse(value), bytes >= 1_000_000 else {
            problem(name, "expected a size of at least 1MB, such as 500MB, 10GB or 2GiB\(shown(name, value))")
            return nil
        }
        return bytes
    }

    mutating func port(_ name: String) -> Int? {
        guard let value = string(name) else { return nil }
        guard let port = Int(value), (0...65535).contains(port) else {
            problem(name, "expected a port number from 0 to 65535\(shown(name, value))")
            return nil
        }
        return port
    }

    mutating func integer(_ name: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = string(name) else { return nil }
        guard let number = Int(value), range.contains(number) else {
            problem(name, "expected a whole number from \(range.lowerBound) to \(range.upperBound)\(shown(name, value))")
            return nil
        }
        return number
    }

    mutating func rate(_ name: String) -> Double? {
        guard let value = string(name) else { return nil }
        guard let rate = Double(value), rate > 0, rate.isFinite else {
            problem(name, "expected a positive number of requests per second\(shown(name, value))")
            return nil
        }
        return rate
    }

    mutating func url(_ name: String) -> String? {
        guard let value = string(name) else { return nil }
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            url.host?.isEmpty == false
        else {
            problem(name, "expected an http(s) URL such as https://api.example.com\(shown(name, value))")
            return nil
        }
        // The bridge adds `/v1/…` itself: a base ending in /v1 sent every request to /v1/v1/…, and the
        // destination's 404 dead-lettered every event. A path before it (a proxy's prefix) is kept.
        if url.path.split(separator: "/").last?.lowercased() == "v1" {
            problem(name, "expected the API's base URL without /v1 (the bridge adds /v1/...)\(shown(name, value))")
            return nil
        }
        return value.hasSuffix("/") ? String(value.dropLast()) : value
    }

    /// An address to bind: an IPv4 or IPv6 literal, or a host name. A name is not resolved here (the
    /// resolver may not be up yet), but one that cannot be a host name is refused now rather than by
    /// the bind, which failed without naming the variable and with an exit code that is retried.
    mutating func host(_ name: String) -> String? {
        guard let value = string(name) else { return nil }
        var address = in6_addr()
        if inet_pton(AF_INET, value, &address) == 1 || inet_pton(AF_INET6, value, &address) == 1 { return value }
        let labels = value.split(separator: ".", omittingEmptySubsequences: false)
        let isName =
            value.utf8.count <= 253
            && labels.allSatisfy { label in
                (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                    && label.utf8.allSatisfy { byte in
                        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                            || byte == UInt8(ascii: "-")
                    }
            }
        guard isName else {
            problem(name, "expected an IP address or a host name such as 0.0.0.0, 127.0.0.1 or localhost\(shown(name, value))")
            return nil
        }
        return value
    }

    mutating func duration(_ name: String) -> Duration? {
        guard let value = string(name) else { return nil }
        guard let duration = DurationText.parse(value) else {
            problem(name, "expected a duration such as 500ms, 30s, 5m, 24h or 7d, at most 100 years\(shown(name, value))")
            return nil
        }
        return duration
    }

    /// A duration of at least `floor`.
    mutating func duration(_ name: String, atLeast floor: Duration) -> Duration? {
        guard let duration = duration(name) else { return nil }
        guard duration >= floor else {
            problem(
                name,
                "expected a duration of at least \(DurationText.format(floor)), such as 30s, 5m or 24h\(shown(name, string(name) ?? ""))"
            )
            return nil
        }
        return duration
    }

    /// A duration no longer than `limit` (zero allowed).
    mutating func duration(_ name: String, atMost limit: Duration) -> Duration? {
        guard let duration = duration(name) else { return nil }
        guard duration <= limit else {
            problem(
                name,
                "expected a duration of at most \(DurationText.format(limit)), such as 25ms or 0 (off)\(shown(name, string(name) ?? ""))"
            )
            return nil
        }
        return duration
    }

    mutating func flag(_ name: String) -> Bool? {
        guard let value = string(name)?.lowercased() else { return nil }
        switch value {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default:
            problem(name, "expected 1 or 0 (or true/false, yes/no, on/off)\(shown(name, value))")
            return nil
        }
    }
}
