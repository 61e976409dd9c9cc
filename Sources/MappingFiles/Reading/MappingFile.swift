import Delivery
import Effectiveness
import Foundation
import Inbound
import JSON
import Outbound
import Yams

/// The optional mapping file (`BRIDGE_MAPPING_FILE`, YAML or JSON). Each module reads its own keys;
/// this reads the file, refuses unknown top-level keys and hands each part to its owner.
package struct MappingFile: Sendable {
    package var rules: MappingRules
    package var feedback: FeedbackNames
    package var conversions = ConversionRules()

    /// Every top-level key some module reads.
    package static let knownKeys = MappingRules.topLevelKeys.union(FeedbackNames.topLevelKeys).union(ConversionRules.topLevelKeys)

    /// A problem naming the file and the key.
    package struct Problem: Error, Sendable, CustomStringConvertible {
        package var path: String
        package var message: String
        package var description: String { "\(path): \(message)" }
    }

    package static func load(path: String) throws(Problem) -> MappingFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Problem(path: path, message: "cannot read the file (\(error.localizedDescription))")
        }
        return try parse(text, path: path)
    }

    package static func parse(_ text: String, path: String) throws(Problem) -> MappingFile {
        let document: JSONValue
        var lines: [String: Int] = [:]
        do {
            // YAML is a superset of JSON, so one parser reads both.
            guard let node = try Yams.compose(yaml: text) else { return MappingFile(rules: MappingRules(), feedback: FeedbackNames()) }
            document = json(from: node, path: "", lines: &lines)
        } catch {
            throw Problem(path: path, message: "not valid YAML or JSON (\(error))")
        }
        func located(_ key: String) -> String {
            var probe = key
            // The nearest enclosing key that has a line (the key itself, or its rule).
            while !probe.isEmpty {
                if let line = lines[probe] { return "\(path):\(line)" }
                if let cut = probe.lastIndex(where: { $0 == "." || $0 == "[" }) { probe = String(probe[..<cut]) } else { break }
            }
            return path
        }
        guard let top = document.objectValue ?? (document.isNull ? [:] : nil) else {
            throw Problem(path: path, message: "expected a mapping at the top level")
        }
        if let unknown = top.keys.sorted().first(where: { !knownKeys.contains($0) }) {
            throw Problem(path: located(unknown), message: "unknown key '\(unknown)'")
        }
        let rules: MappingRules
        do {
            rules = try MappingRules(file: top)
        } catch {
            throw Problem(path: located(error.key), message: describe(key: error.key, message: error.message))
        }
        let feedback: FeedbackNames
        do {
            feedback = try FeedbackNames(file: top)
        } catch {
            throw Problem(path: located(error.key), message: describe(key: error.key, message: error.message))
        }
        do {
            return MappingFile(rules: rules, feedback: feedback, conversions: try ConversionRules(file: top))
        } catch {
            throw Problem(path: located(error.key), message: describe(key: error.key, message: error.message))
        }
    }

    private static func describe(key: String, message: String) -> String {
        message == "unknown key" ? "unknown key '\(key)'" : "\(key): \(message)"
    }

    /// Converts a YAML node, noting the line of every key path (`rules[0].workflow`) for error messages.
    private static func json(from node: Node, path: String, lines: inout [String: Int]) -> JSONValue {
        if !path.isEmpty, lines[path] == nil, let line = node.mark?.line { lines[path] = line }
        switch node {
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case Tag.Name.null: return .null
            case Tag.Name.bool: return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
            case Tag.Name.int: return node.int.map { .int(Int64($0)) } ?? .string(scalar.string)
            case Tag.Name.float: return node.float.map(JSONValue.double) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping {
                let name = key.string ?? "\(key)"
                let child = path.isEmpty ? name : "\(path).\(name)"
                if let line = key.mark?.line { lines[child] = line }
                object[name] = json(from: value, path: child, lines: &lines)
            }
            return .object(object)
        case .sequence(let sequence):
            return .array(sequence.enumerated().map { index, element in json(from: element, path: "\(path)[\(index)]", lines: &lines) })
        case .alias:
            return .null
        }
    }
}
