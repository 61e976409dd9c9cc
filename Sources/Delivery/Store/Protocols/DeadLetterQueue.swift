/// The dead-letter queue, for operators. Works against the same store a running `serve` uses.
package protocol DeadLetterQueue: Sendable {
    func deadLetters(_ filter: DeadLetterFilter) async throws -> [DeadLetter]
    func deadLetter(id: Int64) async throws -> DeadLetterDetail?
    /// Puts matching dead letters back in the queue with the ids they had, so destinations still dedupe.
    func replayDeadLetters(_ filter: DeadLetterFilter) async throws -> Int
    /// Deletes matching dead letters for good.
    func purgeDeadLetters(_ filter: DeadLetterFilter) async throws -> Int
}
