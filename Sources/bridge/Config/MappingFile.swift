import Delivery
import Foundation
import Inbound
import Outbound
import Yams

/// The optional mapping file (`BRIDGE_MAPPING_FILE`, YAML or JSON). Each module reads its own keys;
/// this reads the file, refuses unknown top-level keys and hands each part to its owner.
struct MappingFile: Sendable {
    var rules: MappingRules
    var feedback: FeedbackNames

    /// Every top-level key some module reads.
    static let knownKeys = MappingRules.topLevelKeys.union(FeedbackNames.topLevelKeys)

    /// A problem naming the file and the key.
    struct Problem: Error, Sendable, CustomStringConvertible {
        var path: String
        var message: String
        var description: String { "\(path): \(message)" }
    }

    static func load(path: String) throws(Problem) -> MappingFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Problem(path: path, message: "cannot read the file (\(error.localizedDescription))")
        }
        return try parse(text, path: path)
    }

    static func parse(_ text: String, path: String) throws(Problem) -> MappingFile {
        let document: JSONValue
        do {
            // YAML is a superset of JSON, so one parser reads both.
            document = try Self.json(from: try Yams.load(yaml: text))
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem(path: path, message: "not valid YAML or JSON (\(error))")
        }
        guard let top = document.objectValue ?? (document.isNull ? [:] : nil) else {
            throw Problem(path: path, message: "expected a mapping at the top level")
        }
        if let unknown = top.keys.sorted().first(where: { !knownKeys.contains($0) }) {
            throw Problem(path: path, message: "unknown key '\(unknown)'")
        }
        let rules: MappingRules
        do {
            rules = try MappingRules(file: top)
        } catch {
            throw Problem(path: path, message: describe(key: error.key, message: error.message))
        }
        do {
            return MappingFile(rules: rules, feedback: try FeedbackNames(file: top))
        } catch {
            throw Problem(path: path, message: describe(key: error.key, message: error.message))
        }
    }

    private static func describe(key: String, message: String) -> String {
        message == "unknown key" ? "unknown key '\(key)'" : "\(key): \(message)"
    }

    private static func json(from value: Any?) throws -> JSONValue {
        switch value {
        case nil: return .null
        case let value as Bool: return .bool(value)
        case let value as Int: return .int(Int64(value))
        case let value as Double: return .double(value)
        case let value as String: return .string(value)
        case let value as [Any]: return .array(try value.map(json(from:)))
        case let value as [String: Any]: return .object(try value.mapValues(json(from:)))
        case let value as [AnyHashable: Any]:
            var object: [String: JSONValue] = [:]
            for (key, element) in value { object["\(key)"] = try json(from: element) }
            return .object(object)
        default:
            if value is NSNull { return .null }
            return .string("\(value!)")
        }
    }
}
