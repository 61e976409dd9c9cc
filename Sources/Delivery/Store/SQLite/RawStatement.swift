import Foundation
import GRDB
import GRDBSQLite

/// Binds and steps a cached GRDB statement through SQLite's C API.
///
/// Ingest runs a handful of INSERTs for every event on the single writer thread; GRDB's
/// `StatementArguments` (an array of existentials, rebuilt and bound per call) cost more there than
/// SQLite's own work. Only statements used nowhere else go through here.
struct RawStatement {
    fileprivate let handle: OpaquePointer
    fileprivate let connection: OpaquePointer
    fileprivate var index: Int32 = 0

    init(_ statement: Statement, db: Database) {
        handle = statement.sqliteStatement
        connection = db.sqliteConnection!
    }

    /// Binds the next parameter; `nil` binds NULL.
    mutating func bind<Value: RawBindable>(_ value: Value?) {
        index += 1
        if let value { value.bind(to: handle, at: index) } else { sqlite3_bind_null(handle, index) }
    }

    mutating func bindNull() {
        bind(Int64?.none)
    }

    /// Runs the statement to completion and resets it for the next use.
    mutating func run() throws {
        let code = sqlite3_step(handle)
        index = 0
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)))
        }
    }
}

extension RawStatement {
    /// Steps once and reads the first row's first `columns` columns as numbers (`nil` for NULL), then
    /// resets; `nil` when there is no row.
    mutating func firstRow(columns: Int32) throws -> [Double?]? {
        let code = sqlite3_step(handle)
        index = 0
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        switch code {
        case SQLITE_DONE: return nil
        case SQLITE_ROW:
            return (0..<columns).map { column in
                sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_double(handle, column)
            }
        default:
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)))
        }
    }
}

/// A value `RawStatement` binds as it is; SQLite copies text and blobs (`SQLITE_TRANSIENT`).
protocol RawBindable {
    func bind(to statement: OpaquePointer, at index: Int32)
}

private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

extension String: RawBindable {
    func bind(to statement: OpaquePointer, at index: Int32) {
        var text = self
        text.withUTF8 { utf8 in
            _ = utf8.withMemoryRebound(to: CChar.self) { chars in
                // A nil pointer would bind NULL; an empty string must stay an empty string.
                guard let base = chars.baseAddress else { return sqlite3_bind_text(statement, index, "", 0, transient) }
                return sqlite3_bind_text(statement, index, base, Int32(chars.count), transient)
            }
        }
    }
}

extension Double: RawBindable {
    func bind(to statement: OpaquePointer, at index: Int32) {
        sqlite3_bind_double(statement, index, self)
    }
}

extension Int64: RawBindable {
    func bind(to statement: OpaquePointer, at index: Int32) {
        sqlite3_bind_int64(statement, index, self)
    }
}

extension Data: RawBindable {
    func bind(to statement: OpaquePointer, at index: Int32) {
        withUnsafeBytes { raw in
            // An empty blob is a blob, not NULL.
            if raw.isEmpty {
                _ = sqlite3_bind_zeroblob(statement, index, 0)
            } else {
                _ = sqlite3_bind_blob(statement, index, raw.baseAddress, Int32(raw.count), transient)
            }
        }
    }
}
