import Foundation

extension AttemptResult {
    /// The result of an attempt `response` answered: what the relay needs of the answer (its status,
    /// `Retry-After`, rate-limit headers), and for a failed attempt its first 2 KB and the request as sent
    /// (`request`, made only then), for the dead-letter queue. A success pays for rendering neither.
    package static func answered(
        _ verdict: Verdict,
        reason: String,
        response: HTTPClientResponse,
        attemptKey: String? = nil,
        request: @autoclosure () -> String,
        now: Date
    ) -> AttemptResult {
        let failed = !verdict.isDelivered
        return AttemptResult(
            verdict,
            reason: reason,
            answer: Answer(
                status: response.status,
                excerpt: failed ? responseExcerpt(response.body) : nil,
                retryAfter: RetryAfter.parse(response.headers["retry-after"], now: now)
            ),
            attemptKey: attemptKey,
            request: failed ? request() : nil,
            pauseUntil: RateLimitHeaders.pause(response.headers, now: now)
        )
    }

    /// The result of an attempt that got no answer: the destination may or may not have the request, so it
    /// is tried again (with the same idempotency key) — unless shutdown abandoned it, which leaves the job
    /// as it was.
    package static func unanswered(_ error: HTTPClientError, attemptKey: String? = nil, request: String) -> AttemptResult {
        AttemptResult(error.cancelled ? .abandoned : .retry, reason: error.message, attemptKey: attemptKey, request: request)
    }
}
