/// Why a destination does not send a request it could build: a dry run was asked for, or its credential
/// is missing. One rule for both destinations.
package enum NotSending: Sendable, Equatable {
    /// `BRIDGE_DRY_RUN=1`: log the request, settle the job as `dry_run`.
    case dryRun
    /// No credential and no dry run: hold the job (never drop it) until the credential is set.
    case missingCredential

    /// `nil` when the destination sends.
    package static func decide(credential: String?, dryRun: Bool) -> NotSending? {
        if dryRun { return .dryRun }
        return credential == nil ? .missingCredential : nil
    }

    /// The results of the `count` jobs of a request that `notSending` keeps from going out, or `nil` when
    /// it goes out: a dry run logs the request (`logDryRun`) and settles each job as `dry_run`; a missing
    /// credential, named by `variable`, holds each.
    package static func results(
        _ notSending: NotSending?,
        count: Int,
        missing variable: String,
        attemptKey: String? = nil,
        logDryRun: () -> Void
    ) -> [AttemptResult]? {
        switch notSending {
        case nil:
            return nil
        case .dryRun:
            logDryRun()
            return Array(repeating: AttemptResult(.dryRun, reason: "dry run", attemptKey: attemptKey), count: count)
        case .missingCredential:
            return Array(repeating: held(missing: variable), count: count)
        }
    }

    /// The attempt of a job held for a missing credential named by `variable`.
    package static func held(missing variable: String) -> AttemptResult {
        AttemptResult(
            .hold,
            reason: "\(variable) is not set: events are held until it is (or BRIDGE_DRY_RUN=1 to only log them)"
        )
    }
}
