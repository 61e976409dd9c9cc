import Delivery
import Foundation
import JSON
import Outbound
import TestSupport
import Testing

/// A rule's `context:` (Novu trigger context): how the mapping file states it, and what the trigger carries.
@Suite("Trigger context")
struct TriggerContextTests {
    func rules(_ context: JSONValue) throws(MappingFileError) -> MappingRules {
        try MappingRules(file: ["rules": [["event": "Order Shipped", "workflow": "order-shipped", "context": context]]])
    }

    @Test("literal ids and event paths are read")
    func parse() throws {
        let context = try rules(["tenant": "acme", "workspace": ["path": "properties.workspace.id"], "n": 7]).rules[0].context
        #expect(
            context
                == TriggerContext([
                    "tenant": .literal("acme"), "workspace": .path(["properties", "workspace", "id"]), "n": .literal("7"),
                ])
        )
    }

    static let refused: [(JSONValue, MappingFileError)] = [
        (
            ["a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6"],
            MappingFileError(key: "rules[0].context", message: "at most 5 keys (Novu's limit), found 6")
        ),
        (["acme"], MappingFileError(key: "rules[0].context", message: "expected a map of context type to an id or {path: …}")),
        (
            ["team space": "x"],
            MappingFileError(
                key: "rules[0].context.team space",
                message: "expected a context type of letters, digits, '-' or '_' (at most 100)"
            )
        ),
        (["tenant": ""], MappingFileError(key: "rules[0].context.tenant", message: "expected a non-empty id")),
        (["tenant": ["a", "b"]], MappingFileError(key: "rules[0].context.tenant", message: "expected an id or {path: …}")),
        (["tenant": ["pth": "x"]], MappingFileError(key: "rules[0].context.tenant.pth", message: "unknown key")),
        (
            ["tenant": ["path": "properties..id"]],
            MappingFileError(key: "rules[0].context.tenant.path", message: "expected a dotted event path such as properties.workspaceId")
        ),
    ]

    @Test("a wrong context is a mapping-file error naming the key path", arguments: refused)
    func refusedContext(_ row: (JSONValue, MappingFileError)) {
        #expect(throws: row.1) { try rules(row.0) }
    }

    @Test("five keys is the limit, and allowed")
    func fiveKeys() throws {
        let context = try rules(["a": "1", "b": "2", "c": "3", "d": "4", "e": "5"]).rules[0].context
        #expect(context.values.count == 5)
    }

    @Test("paths resolve to ids; Novu's rich form passes through; keys that resolve to nothing are left out")
    func resolve() {
        let context = TriggerContext([
            "tenant": .literal("acme"),
            "workspace": .path(["properties", "workspaceId"]),
            "account": .path(["context", "groupId"]),
            "number": .path(["properties", "shard"]),
            "app": .path(["properties", "app"]),
            "missing": .path(["properties", "nothing"]),
            "empty": .path(["properties", "blank"]),
            "list": .path(["properties", "list"]),
        ])
        let event = SegmentEvent(json: [
            "context": ["groupId": "g-7"],
            "properties": [
                "workspaceId": "ws-1", "shard": 3, "blank": "", "list": ["a"],
                "app": ["id": "mobile", "data": ["os": "ios"], "extra": true],
            ],
        ])
        #expect(
            context.resolve(event)
                == [
                    "tenant": "acme", "workspace": "ws-1", "account": "g-7", "number": "3",
                    "app": ["id": "mobile", "data": ["os": "ios"]],
                ]
        )
    }

    @Test("the trigger carries the resolved context, shaped as TriggerEventRequestDto, and the correlation keeps it")
    func triggerBody() throws {
        var rules = try rules(["tenant": "acme", "workspace": ["path": "properties.workspaceId"], "team": ["path": "properties.team"]])
        rules.fallback = .ignore
        let event = SegmentEvent(json: [
            "type": "track", "event": "Order Shipped", "messageId": "m1", "userId": "u1", "properties": ["workspaceId": "ws-1"],
        ])
        guard case .send(let call, _, let correlation) = SegmentMapper(rules: rules).map(event) else {
            Issue.record("expected a trigger")
            return
        }
        #expect(call.body?["context"] == ["tenant": "acme", "workspace": "ws-1"])
        #expect(correlation?.context == ["tenant": "acme", "workspace": "ws-1"])
        // Every key of the body is in Novu's schema, and each context value is the schema's simple form.
        let schema = try #require(try Shared.novuOpenAPI()["components"]?["schemas"]?["TriggerEventRequestDto"])
        #expect(schema["properties"]?["context"]?["type"] == "object")
        let known = Set(schema["properties"]?.objectValue?.keys.map { $0 } ?? [])
        for field in call.body?.objectValue?.keys.map({ $0 }) ?? [] { #expect(known.contains(field), "\(field) not in schema") }
    }

    @Test("a rule without context, or whose paths all resolve to nothing, sends none and stores none")
    func noContext() throws {
        let event = SegmentEvent(json: ["type": "track", "event": "Order Shipped", "messageId": "m1", "userId": "u1"])
        for rules in [
            try rules(["team": ["path": "properties.team"]]), MappingRules(rules: [.init(event: "Order Shipped", workflow: "w")]),
        ] {
            guard case .send(let call, _, let correlation) = SegmentMapper(rules: rules).map(event) else {
                Issue.record("expected a trigger")
                continue
            }
            #expect(call.body?["context"] == nil)
            #expect(correlation?.context == nil)
        }
    }
}
