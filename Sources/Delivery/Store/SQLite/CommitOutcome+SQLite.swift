import GRDB

/// How the SQLite store's group commit tells a full disk from one caller's refused work.
extension CommitOutcome {
    /// The outcome after a batch with these `results`, finished at `now`. A storage failure of any caller
    /// wins (the batch may have committed the others, but the disk refused one); otherwise any success
    /// means the transaction committed. A batch whose callers all failed on their own (a constraint, a
    /// missing dead letter) rolled back cleanly and tells nothing new.
    func after(_ results: [Result<any Sendable, any Error>], at now: ContinuousClock.Instant) -> CommitOutcome {
        var committed = false
        for result in results {
            switch result {
            case .success: committed = true
            case .failure(let error) where Self.isStorageFailure(error):
                return .failed(at: now, problem: "\(error)")
            case .failure: break
            }
        }
        return committed ? .committed(at: now) : self
    }

    /// Whether `error` says the store cannot commit, rather than that one caller's work was refused.
    package static func isStorageFailure(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return storageCodes.contains(error.resultCode)
    }

    private static let storageCodes: [ResultCode] = [
        .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_CORRUPT, .SQLITE_NOTADB,
        .SQLITE_NOMEM, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_PROTOCOL, .SQLITE_PERM,
    ]
}
