/// Reads the cause of a notification transaction: the feedback path asks before it decides the Segment
/// event a webhook becomes, then queues that event as a plain job.
///
/// A read, kept off the store's writer: the lookup of one webhook never waits behind another's commit.
/// A correlation is recorded with the job that carries it (`NewJob.correlation`) and pruned by
/// `Retention` (30 days, longer with conversions configured).
package protocol CorrelationLookup: Sendable {
    /// The correlation recorded for `transactionId`, if any.
    func correlation(transactionId: String) async throws -> Correlation?
}
