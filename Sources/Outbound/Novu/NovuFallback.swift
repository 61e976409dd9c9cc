import Delivery
import Foundation
import JSON

/// The v1 fallbacks for Novu deployments without the v2 routes (self-hosted Novu 2.1): what an answer
/// means for the route choice, and the v1 form of a queued call. Pure: no I/O.
///
/// Novu's v1 routes, as in Novu's API source (apps/api/src/app/subscribers/subscribers.controller.ts
/// and apps/api/src/app/topics/topics.controller.ts, v2.0–v2.1):
/// - `POST /v1/subscribers` takes `CreateSubscriberRequestDto` (`subscriberId`, `email`, `firstName`,
///   `lastName`, `phone`, `avatar`, `locale`, `data`; no `timezone`) and updates the subscriber when it
///   exists (`CreateSubscriber` use case): an upsert, answered 201.
/// - `POST /v1/topics/{topicKey}/subscribers` takes `{"subscribers":[id…]}` and answers 200
///   `{"data":{"succeeded":[…],"failed"?:{"notFound":[…]}}}`. Since Novu 0.13 it creates a missing
///   topic itself; before, it answered 404 "Topic with key … not found in current environment", and
///   the topic had to be made first with `POST /v1/topics` `{"key","name"}`.
package enum NovuFallback {
    /// What to do with a single call's answer.
    package enum Decision: Sendable, Equatable {
        /// Judge it as usual (`NovuAnswer.judge`).
        case judge
        /// The v2 route does not exist here: remember it (`route` names it) and send the v1 twin.
        case fallBackToV1(route: String)
        /// An old Novu that does not create topics on subscription: create it, then subscribe again.
        case createTopic
    }

    /// The decision for `call`'s answer.
    package static func decide(_ call: NovuCall.Stored, status: Int?, body: Data) -> Decision {
        guard status == 404 else { return .judge }
        let isV2 = call.path.hasPrefix("/v2/")
        switch call.operation {
        case .subscriberUpsert where isV2, .topicSubscribe where isV2:
            return isRouteNotFound(body) ? .fallBackToV1(route: routeTemplate(call)) : .judge
        case .topicSubscribe where call.path.hasPrefix("/v1/"):
            return saysTopicNotFound(body) ? .createTopic : .judge
        default:
            return .judge
        }
    }

    /// Whether a 404's body says the route does not exist, rather than that something on it was not
    /// found. NestJS (Novu's framework) answers a route it does not have with `Cannot POST /v2/…` as the
    /// `message` of its error body; a body that is not Novu's JSON error at all (a proxy's page, nothing)
    /// came from something that does not route the path either. A Novu error with another message
    /// ("Subscriber … not found") is Novu's answer on a route it has: no reason to change routes.
    package static func isRouteNotFound(_ body: Data) -> Bool {
        guard let answer = try? JSONValue.parse(body), answer.objectValue != nil else { return true }
        guard let message = answer["message"]?.stringValue else { return answer["statusCode"] == nil }
        return message.lowercased().hasPrefix("cannot ")
    }

    /// Novu before 0.13: `Topic with key … not found in current environment`.
    static func saysTopicNotFound(_ body: Data) -> Bool {
        let message = (try? JSONValue.parse(body))?["message"]?.stringValue?.lowercased() ?? ""
        return message.hasPrefix("topic") && message.contains("not found")
    }

    /// `POST /v2/subscribers`, `POST /v2/topics/{key}/subscriptions`: the route without ids, for logs
    /// and status lines.
    static func routeTemplate(_ call: NovuCall.Stored) -> String {
        switch call.operation {
        case .topicSubscribe: "\(call.method) /v2/topics/{key}/subscriptions"
        default: "\(call.method) \(call.path)"
        }
    }

    /// The v1 twin of a queued v2 call, or `nil` when it has none (or is v1 already).
    /// - subscriber upsert: `POST /v1/subscribers` with the same body less `timezone`, which v1 lacks;
    /// - topic subscription: `POST /v1/topics/{key}/subscribers` with `{"subscribers":[…]}`.
    /// The transaction id stays, so the Idempotency-Key rules of DESIGN §5 apply unchanged.
    package static func v1(_ call: NovuCall.Stored) -> NovuCall.Stored? {
        guard call.path.hasPrefix("/v2/"), var body = (try? JSONValue.parse(call.body))?.objectValue else { return nil }
        var v1 = call
        switch call.operation {
        case .subscriberUpsert:
            body["timezone"] = nil
            v1.path = "/v1/subscribers"
        case .topicSubscribe:
            guard let key = topicKey(call.path), let subscribers = body["subscriptions"] else { return nil }
            body = ["subscribers": subscribers]
            v1.path = "/v1/topics/\(key)/subscribers"
        case .trigger, .subscriberDelete:
            return nil
        }
        v1.body = JSONValue.object(body).encoded()
        return v1
    }

    /// `POST /v1/topics` `{"key","name"}` for a v1 topic subscription's topic, named after its key.
    package static func createTopic(for call: NovuCall.Stored) -> NovuCall.Stored? {
        guard call.operation == .topicSubscribe, call.path.hasPrefix("/v1/topics/"), let encoded = topicKey(call.path) else {
            return nil
        }
        let key = encoded.removingPercentEncoding ?? encoded
        var create = call
        create.path = "/v1/topics"
        create.body = JSONValue.object(["key": .string(key), "name": .string(key)]).encoded()
        return create
    }

    /// The (still percent-encoded) key of `/v2/topics/{key}/subscriptions` or `/v1/topics/{key}/subscribers`.
    private static func topicKey(_ path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[2] == "topics", !parts[3].isEmpty else { return nil }
        return String(parts[3])
    }
}
