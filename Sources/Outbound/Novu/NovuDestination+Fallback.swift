import Delivery
import Foundation
import Logging

extension NovuDestination {
    /// One single call's exchange with Novu: the last request sent, its answer, and the verdict.
    struct Exchange {
        var request: HTTPClientRequest
        var response: HTTPClientResponse
        /// The status to record for the attempt.
        var status: Int
        var verdict: (verdict: AttemptResult.Verdict, reason: String)
    }

    /// `call` as this process sends it: its v1 twin once its operation has fallen back.
    func outgoing(_ call: NovuCall.Stored) -> NovuCall.Stored {
        guard versions.usesV1(call.operation), let v1 = NovuFallback.v1(call) else { return call }
        return v1
    }

    /// Sends `call` in the API version this process uses for its operation. When its v2 route answers
    /// route-not-found, the fallback is remembered (and logged once) and the v1 twin goes out in the
    /// same attempt with the same `Idempotency-Key`: a route Novu does not have never reaches its
    /// idempotency interceptor, so nothing was cached under the key. An old Novu that wants the topic
    /// made first gets it made (`POST /v1/topics`), and the attempt is a retry, so the subscription goes
    /// out again on the next attempt with a fresh key (DESIGN §5: the key of a 404 may hold that answer).
    func exchange(_ call: NovuCall.Stored, idempotencyKey key: String) async throws(HTTPClientError) -> Exchange {
        var call = outgoing(call)
        var request = NovuRequest.make(call, idempotencyKey: key, configuration: configuration)
        var response = try await client.execute(request)
        if case .fallBackToV1(let route) = NovuFallback.decide(call, status: response.status, body: response.body),
            let v1 = NovuFallback.v1(call)
        {
            if versions.fallBack(call.operation, route: route) {
                logger.notice(
                    "Novu has no \(route) (404 route not found): sending the v1 route from now on",
                    metadata: ["destination": "novu", "route": "\(route)", "fallback": "\(v1.method) \(Self.template(v1))"]
                )
            }
            call = v1
            request = NovuRequest.make(call, idempotencyKey: key, configuration: configuration)
            response = try await client.execute(request)
        }
        let status = response.status
        guard NovuFallback.decide(call, status: status, body: response.body) == .createTopic,
            let create = NovuFallback.createTopic(for: call)
        else {
            return Exchange(
                request: request,
                response: response,
                status: status,
                verdict: NovuAnswer.judge(call.operation, status: status, body: response.body)
            )
        }
        let createRequest = NovuRequest.make(create, idempotencyKey: key + ".topic", configuration: configuration)
        let created = try await client.execute(createRequest)
        let verdict = RetryPolicy.classify(status: created.status)
        guard verdict.isDelivered else {
            return Exchange(
                request: createRequest,
                response: created,
                status: created.status,
                verdict: (verdict, "creating the topic for a v1 subscription: HTTP \(created.status)")
            )
        }
        return Exchange(
            request: request,
            response: response,
            status: status,
            verdict: (.retry, "topic created (this Novu does not create it on subscription); subscribing again")
        )
    }

    /// `/v1/subscribers`, `/v1/topics/{key}/subscribers`: a route without ids, for the log.
    private static func template(_ call: NovuCall.Stored) -> String {
        call.operation == .topicSubscribe ? "/v1/topics/{key}/subscribers" : call.path
    }
}
