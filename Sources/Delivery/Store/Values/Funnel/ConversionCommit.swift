/// What a conversion step commits in one transaction: the Segment events it makes and the conversions
/// they stand for (none when the event is switched off). A conversion already recorded for its (transaction, goal) is skipped with its job.
package struct ConversionCommit: Sendable {
    package var conversions: [(conversion: FunnelConversion, job: NewJob?)]

    package init(conversions: [(conversion: FunnelConversion, job: NewJob?)] = []) {
        self.conversions = conversions
    }
}
