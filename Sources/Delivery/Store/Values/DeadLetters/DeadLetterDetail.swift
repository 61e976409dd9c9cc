/// Everything kept about one dead letter (`bridge dlq show`).
package struct DeadLetterDetail: Sendable, Equatable, Codable {
    package var letter: DeadLetter
    /// The event that caused the job, as received.
    package var event: String?
    /// What the destination was to be sent (the job payload).
    package var payload: String
    package var attempts: [AttemptRecord]

    package init(letter: DeadLetter, event: String?, payload: String, attempts: [AttemptRecord]) {
        self.letter = letter
        self.event = event
        self.payload = payload
        self.attempts = attempts
    }
}
