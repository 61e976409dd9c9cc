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

    /// The attempt of a job held for a missing credential named by `variable`.
    package static func held(missing variable: String) -> AttemptResult {
        AttemptResult(
            .hold,
            reason: "\(variable) is not set: events are held until it is (or BRIDGE_DRY_RUN=1 to only log them)"
        )
    }
}
