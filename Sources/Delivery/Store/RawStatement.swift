import Foundation
import GRDB
import GRDBSQLite

/// Binds and steps a cached GRDB statement through SQLite's C API.
///
/// Ingest runs a handful of INSERTs for every event on the single writer thread; GRDB's
/// `StatementArguments` (an array of existentials, rebuilt and bound per call) cost more there than
/// SQLite's own work. Only statements used nowhere else go through here.
struct RawStatement {
    private let handle: OpaquePointer
    private let connection: OpaquePointer
    private var index: Int32 = 0

    init(_ statement: Statement, db: Database) {
        handle = statement.sqliteStatement
        connection = db.sqliteConnection!
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    mutating func bind(_ text: String) {
        index += 1
        var text = text
        text.withUTF8 { utf8 in
            _ = utf8.withMemoryRebound(to: CChar.self) { chars in
                // A nil pointer would bind NULL; an empty string must stay an empty string.
                guard let base = chars.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, Self.transient) }
                return sqlite3_bind_text(handle, index, base, Int32(chars.count), Self.transient)
            }
        }
    }

    mutating func bind(_ text: String?) {
        guard let text else { return bindNull() }
        bind(text)
    }

    mutating func bind(_ number: Double) {
        index += 1
        sqlite3_bind_double(handle, index, number)
    }

    mutating func bind(_ number: Double?) {
        guard let number else { return bindNull() }
        bind(number)
    }

    mutating func bind(_ number: Int64) {
        index += 1
        sqlite3_bind_int64(handle, index, number)
    }

    mutating func bind(_ number: Int64?) {
        guard let number else { return bindNull() }
        bind(number)
    }

    mutating func bind(_ bytes: Data?) {
        guard let bytes else { return bindNull() }
        index += 1
        bytes.withUnsafeBytes { raw in
            if raw.isEmpty {
                _ = sqlite3_bind_zeroblob(handle, index, 0)
            } else {
                _ = sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), Self.transient)
            }
        }
    }

    mutating func bindNull() {
        index += 1
        sqlite3_bind_null(handle, index)
    }

    /// Runs the statement to completion and resets it for the next use.
    mutating func run() throws {
        let code = sqlite3_step(handle)
        index = 0
        guard code == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(connection))
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message)
        }
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }
}
