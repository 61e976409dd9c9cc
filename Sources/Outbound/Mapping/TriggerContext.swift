import Delivery
import JSON

/// A rule's `context:`: the Novu trigger `context` (TriggerEventRequestDto), Novu's way to scope a
/// notification to a tenant, workspace or app (multi-tenancy, Inbox scoping). Each key is a context
/// type; its value is a literal id or a path into the Segment event whose value is the id.
///
/// ```yaml
/// context:
///   tenant: acme                          # literal
///   workspace: {path: properties.workspaceId}
/// ```
package struct TriggerContext: Sendable, Equatable {
    /// Where a context id comes from.
    package enum Value: Sendable, Equatable {
        /// This id, always.
        case literal(String)
        /// The value at this path of the event (`["properties", "workspaceId"]`).
        case path([String])
    }

    /// Novu takes at most this many context keys in one trigger.
    package static let maxKeys = 5

    package var values: [String: Value]

    package init(_ values: [String: Value] = [:]) {
        self.values = values
    }

    package var isEmpty: Bool { values.isEmpty }

    /// Reads a rule's `context:` value; `path` is the key path for errors (`rules[0].context`).
    package init(file value: JSONValue, path: String) throws(MappingFileError) {
        guard let map = value.objectValue else {
            throw MappingFileError(key: path, message: "expected a map of context type to an id or {path: …}")
        }
        guard map.count <= Self.maxKeys else {
            throw MappingFileError(key: path, message: "at most \(Self.maxKeys) keys (Novu's limit), found \(map.count)")
        }
        var values: [String: Value] = [:]
        for (key, entry) in map.sorted(by: { $0.key < $1.key }) {
            let keyPath = "\(path).\(key)"
            guard Self.isContextType(key) else {
                throw MappingFileError(key: keyPath, message: "expected a context type of letters, digits, '-' or '_' (at most 100)")
            }
            values[key] = try Self.value(entry, path: keyPath)
        }
        self.values = values
    }

    private static func value(_ entry: JSONValue, path: String) throws(MappingFileError) -> Value {
        if let text = entry.scalarText {
            guard !text.isEmpty else { throw MappingFileError(key: path, message: "expected a non-empty id") }
            return .literal(text)
        }
        guard let fields = entry.objectValue else {
            throw MappingFileError(key: path, message: "expected an id or {path: …}")
        }
        if let unknown = fields.keys.sorted().first(where: { $0 != "path" }) {
            throw MappingFileError(key: "\(path).\(unknown)", message: "unknown key")
        }
        let segments = fields["path"]?.stringValue?.split(separator: ".", omittingEmptySubsequences: false).map(String.init) ?? []
        guard !segments.isEmpty, !segments.contains(where: \.isEmpty) else {
            throw MappingFileError(key: "\(path).path", message: "expected a dotted event path such as properties.workspaceId")
        }
        return .path(segments)
    }

    /// Novu's context types: `^[a-zA-Z0-9_-]+$`, at most 100 characters (CreateContextRequestDto).
    static func isContextType(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.count <= 100
            && key.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                    true
                default: false
                }
            }
    }

    /// The trigger's `context` for `event`. A path's string or number becomes the id; an object with a
    /// string `id` is passed as Novu's rich form (`{id, data?}`). A key whose path resolves to nothing
    /// else (missing, empty, `null`, a list) is left out.
    package func resolve(_ event: SegmentEvent) -> [String: JSONValue] {
        var context: [String: JSONValue] = [:]
        for (key, value) in values {
            switch value {
            case .literal(let id):
                context[key] = .string(id)
            case .path(let segments):
                var current: JSONValue? = .object(event.json)
                for segment in segments { current = current?[segment] }
                if let id = current?.scalarText, !id.isEmpty {
                    context[key] = .string(id)
                } else if let id = current?["id"]?.stringValue, !id.isEmpty {
                    var rich: [String: JSONValue] = ["id": .string(id)]
                    if let data = current?["data"], data.objectValue != nil { rich["data"] = data }
                    context[key] = .object(rich)
                }
            }
        }
        return context
    }
}
