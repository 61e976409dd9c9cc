/// One line of `bridge doctor`: what was checked, how it stands, and what to do about it.
struct DoctorFinding: Sendable, Equatable {
    enum Severity: Int, Sendable, Comparable {
        case ok = 0
        case warning = 1
        case error = 2

        static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

        var label: String {
            switch self {
            case .ok: "ok"
            case .warning: "warning"
            case .error: "error"
            }
        }
    }

    var severity: Severity
    /// `novu key`, `environment`, `webhook`, `poller`, `email tracking`, `webhook traffic`, `store`.
    var check: String
    /// What was found, with the one piece of advice that fixes it.
    var message: String

    static func ok(_ check: String, _ message: String) -> Self { Self(severity: .ok, check: check, message: message) }
    static func warning(_ check: String, _ message: String) -> Self { Self(severity: .warning, check: check, message: message) }
    static func error(_ check: String, _ message: String) -> Self { Self(severity: .error, check: check, message: message) }

    /// The exit code of a run with these findings: 0 all well, 1 warnings, 2 errors.
    static func exitCode(_ findings: [DoctorFinding]) -> Int32 { Int32(findings.map(\.severity).max()?.rawValue ?? 0) }
}
