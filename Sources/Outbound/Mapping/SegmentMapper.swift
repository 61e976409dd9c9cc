import Delivery
import JSON

/// Segment → Novu, by the mapping table of DESIGN §3 (pure: no I/O).
package struct SegmentMapper: Sendable {
    package var rules: MappingRules
    /// `BRIDGE_ENVIRONMENT`: the seed convention sends only events of this environment.
    package var environment: String

    package init(rules: MappingRules = MappingRules(), environment: String = "development") {
        self.rules = rules
        self.environment = environment
    }

    /// Maps one event whose `messageId` is set.
    package func map(_ event: SegmentEvent) -> MappingDecision {
        guard let messageId = event.messageId else { return .invalid("messageId is required") }
        let transactionId = TransactionID.forSegmentMessage(messageId)
        switch event.type {
        case "track":
            if let rule = rules.rule(type: "track", name: event.event) {
                return trigger(event, rule: rule, transactionId: transactionId)
            }
            // No `event` check here: the seed convention validates exactly as the destination function
            // does, and the function sends a track whatever its event name.
            switch rules.fallback {
            case .seed: return SeedConvention.map(event, environment: environment, transactionId: transactionId)
            case .ignore: return .ignored(reason: "no rule")
            }
        case "identify":
            return identify(event, transactionId: transactionId)
        case "group":
            guard let userId = event.userId else { return .invalid("userId is required for group") }
            guard let groupId = event.groupId else { return .invalid("groupId is required for group") }
            let call = NovuCall(
                operation: .topicSubscribe,
                method: "POST",
                path: "/v2/topics/\(NovuCall.pathSegment(groupId))/subscriptions",
                body: ["subscriptions": [.string(userId)]],
                transactionId: transactionId
            )
            return .send(call, orderingKey: userId, correlation: nil)
        case "delete":
            guard let userId = event.userId else { return .invalid("userId is required for delete") }
            let call = NovuCall(
                operation: .subscriberDelete,
                method: "DELETE",
                path: "/v2/subscribers/\(NovuCall.pathSegment(userId))",
                body: nil,
                transactionId: transactionId
            )
            return .send(call, orderingKey: userId, correlation: nil)
        case "alias", "page", "screen":
            let type = event.type ?? ""
            let name = type == "alias" ? nil : nonEmpty(event.json["name"]?.stringValue)
            guard let rule = rules.rule(type: type, name: name) else { return .ignored(reason: "no rule for \(type)") }
            return trigger(event, rule: rule, transactionId: transactionId)
        case nil:
            return .invalid("type is required")
        case let other?:
            return .invalid("type '\(other)' is not a Segment event type")
        }
    }

    private func identify(_ event: SegmentEvent, transactionId: String) -> MappingDecision {
        guard let userId = event.userId else { return .invalid("userId is required for identify") }
        var traits = event.json["traits"]?.objectValue ?? [:]
        var body: [String: JSONValue] = ["subscriberId": .string(userId)]
        let fields: [(novu: String, traits: [String])] = [
            ("email", ["email"]), ("firstName", ["firstName", "first_name"]), ("lastName", ["lastName", "last_name"]),
            ("phone", ["phone"]), ("avatar", ["avatar"]), ("locale", ["locale"]), ("timezone", ["timezone"]),
        ]
        for field in fields {
            for name in field.traits {
                if let value = traits.removeValue(forKey: name), body[field.novu] == nil,
                    let text = nonEmpty(value.scalarText)
                {
                    body[field.novu] = .string(text)
                }
            }
        }
        for field in ["locale", "timezone"] where body[field] == nil {
            if let value = nonEmpty(event.context[field]?.stringValue) { body[field] = .string(value) }
        }
        if !traits.isEmpty { body["data"] = .object(traits) }
        let call = NovuCall(
            operation: .subscriberUpsert,
            method: "POST",
            path: "/v2/subscribers",
            body: .object(body),
            transactionId: transactionId
        )
        return .send(call, orderingKey: userId, correlation: nil)
    }

    private func trigger(_ event: SegmentEvent, rule: MappingRules.Rule, transactionId: String) -> MappingDecision {
        let properties = event.properties
        if let wanted = rule.environment, properties["environment"]?.scalarText != wanted {
            return .ignored(reason: "environment")
        }
        let subscriberId: String?
        if rule.subscriber == "anonymousId" {
            subscriberId = event.anonymousId
        } else {
            subscriberId = event.userId ?? (rule.allowAnonymous ? event.anonymousId : nil)
        }
        guard let subscriberId else {
            return .invalid(rule.subscriber == "anonymousId" ? "anonymousId is required" : "userId is required")
        }
        var to: [String: JSONValue] = ["subscriberId": .string(subscriberId)]
        let traits = event.traits
        for (field, trait) in rule.to {
            if let value = nonEmpty(traits[trait]?.scalarText) { to[field] = .string(value) }
        }
        let payload = rule.payload.map { names in properties.filter { names.contains($0.key) } } ?? properties
        var body: [String: JSONValue] = [
            "name": .string(rule.workflow),
            "to": .object(to),
            "payload": .object(payload),
            "transactionId": .string(transactionId),
        ]
        if let tenant = rule.tenant { body["tenant"] = .string(tenant) }
        if let overrides = rule.overrides { body["overrides"] = overrides }
        // Resolved once: the trigger carries it, and the correlation keeps it for the feedback events.
        let context = rule.context.isEmpty ? [:] : rule.context.resolve(event)
        if !context.isEmpty { body["context"] = .object(context) }
        let call = NovuCall(
            operation: .trigger,
            method: "POST",
            path: "/v1/events/trigger",
            body: .object(body),
            transactionId: transactionId
        )
        let name = event.event ?? nonEmpty(event.json["name"]?.stringValue) ?? (event.type ?? "")
        return .send(
            call,
            orderingKey: subscriberId,
            correlation: Correlation(
                transactionId: transactionId,
                eventName: name,
                messageId: event.messageId ?? "",
                userId: subscriberId,
                workflow: rule.workflow,
                context: context.isEmpty ? nil : context
            )
        )
    }
}
