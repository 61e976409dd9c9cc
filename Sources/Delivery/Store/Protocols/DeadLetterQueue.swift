/// The dead-letter queue, for operators (`bridge dlq`) and the store's maintenance. A dead letter is a
/// job that can never be sent (or gave up): it is kept, with every failed attempt, until an operator
/// replays or purges it, or `BRIDGE_DLQ_RETENTION` after it was dead-lettered.
package protocol DeadLetterQueue: Sendable {
    /// Dead letters matching `filter`, oldest (lowest id) first.
    func deadLetters(_ filter: DeadLetterFilter) async throws -> [DeadLetter]

    /// Everything kept about one dead letter; `nil` when no dead letter has that id.
    func deadLetter(id: Int64) async throws -> DeadLetterDetail?

    /// Puts matching dead letters back in the queue with the ids they had, so destinations still dedupe,
    /// and returns how many. Their attempts and last status stay (the next attempt sends a fresh
    /// idempotency key); each counts as never attempted since, so it is due from the moment it is its
    /// key's oldest open job. A replayed job older than its key's claimed job waits until that one settles.
    func replayDeadLetters(_ filter: DeadLetterFilter) async throws -> Int

    /// Deletes matching dead letters, with their attempts, for good; returns how many.
    func purgeDeadLetters(_ filter: DeadLetterFilter) async throws -> Int
}
