import Delivery
import Foundation
import JSON
import Outbound
import Testing

@Suite("Segment → Novu mapping")
struct SegmentMapperTests {
    let mapper = SegmentMapper()

    func event(_ json: JSONValue) -> SegmentEvent { SegmentEvent(json: json.objectValue ?? [:]) }

    func seed(_ properties: JSONValue, userId: JSONValue = "u1") -> SegmentEvent {
        event(["type": "track", "event": "Cart", "messageId": "m1", "userId": userId, "properties": properties])
    }

    @Test("seed convention: the destination function's request shape, empty strings dropped")
    func seedShape() throws {
        let decision = mapper.map(
            seed([
                "name": "wf", "environment": "development",
                "user": ["subscriberId": "s1", "email": "", "firstName": "John", "lastName": "Doe", "phone": "+1"],
            ])
        )
        guard case .send(let call, let key, let correlation) = decision else {
            Issue.record("expected a call, got \(decision)")
            return
        }
        #expect(call.method == "POST")
        #expect(call.path == "/v1/events/trigger")
        #expect(call.transactionId == "seg-m1")
        #expect(key == "s1")
        #expect(
            call.body
                == [
                    "name": "wf",
                    "to": ["subscriberId": "s1", "firstName": "John", "lastName": "Doe", "phone": "+1"],
                    "payload": [
                        "eventProperties": [
                            "name": "wf", "environment": "development",
                            "user": ["subscriberId": "s1", "email": "", "firstName": "John", "lastName": "Doe", "phone": "+1"],
                        ]
                    ],
                    "transactionId": "seg-m1",
                ]
        )
        #expect(correlation == Correlation(transactionId: "seg-m1", eventName: "Cart", messageId: "m1", userId: "s1", workflow: "wf"))
    }

    @Test("seed convention: environment is checked first, then the workflow name")
    func seedErrors() {
        #expect(mapper.map(seed(["name": "wf"])) == .invalid("environment property is required"))
        #expect(mapper.map(seed([:])) == .invalid("environment property is required"))
        #expect(mapper.map(seed(["environment": "development"])) == .invalid("workflow name property is required"))
        #expect(mapper.map(seed(["environment": "development", "name": ""])) == .invalid("workflow name property is required"))
    }

    @Test("seed convention: a track without an event name is validated and sent as the function sends it")
    func seedWithoutEventName() {
        let unnamed = event([
            "type": "track", "messageId": "m1", "userId": "u1", "properties": ["environment": "development", "name": "wf"],
        ])
        guard case .send(let call, _, let correlation) = mapper.map(unnamed) else {
            Issue.record("expected a call, got \(mapper.map(unnamed))")
            return
        }
        #expect(call.body?["name"] == "wf")
        #expect(correlation?.eventName == "")
        let noEnvironment = event(["type": "track", "messageId": "m1", "userId": "u1", "properties": ["name": "wf"]])
        #expect(mapper.map(noEnvironment) == .invalid("environment property is required"))
        let ignoring = SegmentMapper(rules: MappingRules(fallback: .ignore))
        #expect(ignoring.map(unnamed) == .ignored(reason: "no rule"))
    }

    @Test("seed convention: other environments are ignored")
    func seedEnvironment() {
        #expect(mapper.map(seed(["environment": "production", "name": "wf"])) == .ignored(reason: "environment"))
        let production = SegmentMapper(environment: "production")
        guard case .send = production.map(seed(["environment": "production", "name": "wf", "user": ["subscriberId": "s"]])) else {
            Issue.record("expected a call")
            return
        }
    }

    @Test("seed convention: the event's userId stands in for a missing user.subscriberId")
    func seedRecipient() {
        guard case .send(let call, let key, _) = mapper.map(seed(["environment": "development", "name": "wf"])) else {
            Issue.record("expected a call")
            return
        }
        #expect(key == "u1")
        #expect(call.body?["to"] == ["subscriberId": "u1"])
        let anonymous = event([
            "type": "track", "event": "Cart", "messageId": "m1", "properties": ["environment": "development", "name": "wf"],
        ])
        #expect(mapper.map(anonymous) == .invalid("properties.user.subscriberId (or userId) is required"))
    }

    @Test("identify upserts the subscriber; known traits become fields, the rest data")
    func identify() throws {
        let decision = mapper.map(
            event([
                "type": "identify", "messageId": "m2", "userId": "u1",
                "traits": ["email": "ada@example.com", "first_name": "Ada", "lastName": "Lovelace", "plan": "pro", "phone": ""],
                "context": ["locale": "en-GB", "timezone": "Europe/London"],
            ])
        )
        guard case .send(let call, let key, nil) = decision else {
            Issue.record("expected a call, got \(decision)")
            return
        }
        #expect(key == "u1")
        #expect(call.operation == .subscriberUpsert)
        #expect(call.method == "POST")
        #expect(call.path == "/v2/subscribers")
        #expect(
            call.body
                == [
                    "subscriberId": "u1", "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace",
                    "locale": "en-GB", "timezone": "Europe/London", "data": ["plan": "pro"],
                ]
        )
        #expect(mapper.map(event(["type": "identify", "messageId": "m", "traits": [:]])) == .invalid("userId is required for identify"))
    }

    @Test("group subscribes the user to the topic; delete removes the subscriber")
    func groupAndDelete() {
        guard
            case .send(let group, "u1", nil) = mapper.map(
                event(["type": "group", "messageId": "m3", "userId": "u1", "groupId": "acme inc"])
            )
        else {
            Issue.record("expected a group call")
            return
        }
        #expect(group.path == "/v2/topics/acme%20inc/subscriptions")
        #expect(group.body == ["subscriptions": ["u1"]])
        guard
            case .send(let delete, "u/9", nil) = mapper.map(event(["type": "delete", "messageId": "m4", "userId": "u/9", "context": nil]))
        else {
            Issue.record("expected a delete call")
            return
        }
        #expect(delete.method == "DELETE")
        #expect(delete.path == "/v2/subscribers/u%2F9")
        #expect(delete.body == nil)
        #expect(mapper.map(event(["type": "group", "messageId": "m", "userId": "u1"])) == .invalid("groupId is required for group"))
    }

    @Test("alias, page and screen are ignored without a rule", arguments: ["alias", "page", "screen"])
    func ignoredTypes(type: String) {
        #expect(mapper.map(event(["type": .string(type), "messageId": "m", "userId": "u"])) == .ignored(reason: "no rule for \(type)"))
    }

    @Test("unknown and missing types are invalid")
    func badTypes() {
        #expect(mapper.map(event(["type": "bogus", "messageId": "m"])) == .invalid("type 'bogus' is not a Segment event type"))
        #expect(mapper.map(event(["messageId": "m"])) == .invalid("type is required"))
    }

    @Test("a rule maps an event to its workflow with the payload, recipient fields, tenant and overrides")
    func rule() throws {
        var rule = MappingRules.Rule(event: "Order Shipped", workflow: "order-shipped")
        rule.payload = ["orderId"]
        rule.to = ["email": "email"]
        rule.tenant = "acme"
        rule.overrides = ["fcm": ["data": ["k": "v"]]]
        let mapper = SegmentMapper(rules: MappingRules(rules: [rule]))
        let decision = mapper.map(
            event([
                "type": "track", "event": "Order Shipped", "messageId": "m5", "userId": "u1",
                "properties": ["orderId": "o-42", "carrier": "UPS"], "context": ["traits": ["email": "a@b.c"]],
            ])
        )
        guard case .send(let call, "u1", let correlation) = decision else {
            Issue.record("expected a call, got \(decision)")
            return
        }
        #expect(
            call.body
                == [
                    "name": "order-shipped", "to": ["subscriberId": "u1", "email": "a@b.c"], "payload": ["orderId": "o-42"],
                    "transactionId": "seg-m5", "tenant": "acme", "overrides": ["fcm": ["data": ["k": "v"]]],
                ]
        )
        #expect(correlation?.workflow == "order-shipped")
    }

    @Test("a rule takes anonymousId only when it allows it")
    func ruleAnonymous() {
        var rule = MappingRules.Rule(event: "Viewed", workflow: "wf")
        let anonymous = event(["type": "track", "event": "Viewed", "messageId": "m", "anonymousId": "anon-1"])
        #expect(SegmentMapper(rules: MappingRules(rules: [rule])).map(anonymous) == .invalid("userId is required"))
        rule.allowAnonymous = true
        guard case .send(_, "anon-1", _) = SegmentMapper(rules: MappingRules(rules: [rule])).map(anonymous) else {
            Issue.record("expected a call for the anonymous user")
            return
        }
    }

    @Test("fallback: ignore leaves unmatched tracks alone")
    func fallbackIgnore() {
        let mapper = SegmentMapper(rules: MappingRules(fallback: .ignore))
        #expect(mapper.map(seed(["environment": "development", "name": "wf"])) == .ignored(reason: "no rule"))
    }

    @Test("a page rule maps page views by name")
    func pageRule() {
        let mapper = SegmentMapper(
            rules: MappingRules(rules: [MappingRules.Rule(type: "page", event: "Pricing", workflow: "pricing-visit")])
        )
        guard case .send(let call, "u1", _) = mapper.map(event(["type": "page", "name": "Pricing", "messageId": "m", "userId": "u1"]))
        else {
            Issue.record("expected a call")
            return
        }
        #expect(call.body?["name"] == "pricing-visit")
        #expect(
            mapper.map(event(["type": "page", "name": "Home", "messageId": "m", "userId": "u1"])) == .ignored(reason: "no rule for page")
        )
    }
}

@Suite("Mapping file rules")
struct MappingRulesTests {
    @Test("rules are read with every key")
    func parse() throws {
        let rules = try MappingRules(
            file: [
                "fallback": "ignore",
                "rules": [
                    [
                        "event": "Order Shipped", "workflow": "order-shipped", "subscriber": "userId", "allowAnonymous": true,
                        "payload": ["orderId"], "to": ["email": "email"], "tenant": "acme", "overrides": ["a": 1],
                        "environment": "production",
                    ]
                ],
            ]
        )
        #expect(rules.fallback == .ignore)
        #expect(rules.rules.count == 1)
        #expect(rules.rules[0].workflow == "order-shipped")
        #expect(rules.rules[0].allowAnonymous)
        #expect(rules.rules[0].environment == "production")
    }

    @Test("an unknown key inside a rule is an error naming it")
    func unknownKey() {
        #expect(throws: MappingFileError(key: "rules[0].workflw", message: "unknown key")) {
            try MappingRules(file: ["rules": [["event": "E", "workflw": "x"]]])
        }
        #expect(throws: MappingFileError(key: "rules[0].to.mail", message: "unknown key")) {
            try MappingRules(file: ["rules": [["event": "E", "workflow": "x", "to": ["mail": "email"]]]])
        }
    }

    @Test("a rule needs a workflow; bad values are named")
    func badValues() {
        #expect(throws: MappingFileError(key: "rules[0].workflow", message: "is required")) {
            try MappingRules(file: ["rules": [["event": "E"]]])
        }
        #expect(throws: MappingFileError(key: "fallback", message: "expected 'seed' or 'ignore'")) {
            try MappingRules(file: ["fallback": "drop"])
        }
        #expect(throws: MappingFileError(key: "rules[0].type", message: "expected track, page, screen or alias")) {
            try MappingRules(file: ["rules": [["type": "identify", "workflow": "x"]]])
        }
    }
}
