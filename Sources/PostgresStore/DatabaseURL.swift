import Foundation

/// `BRIDGE_DATABASE_URL`: where the PostgreSQL store lives, as libpq spells it,
/// `postgres://user:password@host:port/database?sslmode=…` (`postgresql://` too).
///
/// A pure value: parsing names the part that is wrong, and `description` never shows the password.
package struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    /// How the connection is encrypted (libpq's `sslmode`).
    package enum TLSMode: String, Sendable, Equatable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, without checking its certificate (libpq's default).
        case prefer
        /// TLS, or no connection; the certificate is not checked (libpq's `require`).
        case require
        /// TLS with the certificate checked against the system's roots and the host name.
        case verifyFull = "verify-full"
    }

    package var host: String
    package var port: Int
    package var user: String
    package var password: String?
    package var database: String
    package var tls: TLSMode

    package init(host: String, port: Int = 5432, user: String, password: String? = nil, database: String, tls: TLSMode = .prefer) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Parses `text`; throws a `StoreURLError` naming what is missing or wrong (never the password).
    package init(parsing text: String) throws(StoreURLError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let schemeEnd = trimmed.range(of: "://") else {
            throw StoreURLError("must start with postgres:// (postgres://user:password@host:5432/database)")
        }
        let scheme = trimmed[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw StoreURLError("scheme \(scheme) is not postgres:// or postgresql://")
        }
        var rest = Substring(trimmed[schemeEnd.upperBound...])
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        // The user part ends at the last '@': a password may hold one only percent-encoded, but be lenient.
        var userInfo: Substring? = nil
        if let at = rest.lastIndex(of: "@") {
            userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }
        (host, port) = try Self.hostAndPort(rest)
        guard let userInfo, !userInfo.isEmpty else { throw StoreURLError("names no user (postgres://user@host/database)") }
        if let colon = userInfo.firstIndex(of: ":") {
            user = try Self.decoded(userInfo[..<colon], part: "user")
            password = try Self.decoded(userInfo[userInfo.index(after: colon)...], part: "password")
        } else {
            user = try Self.decoded(userInfo, part: "user")
            password = nil
        }
        guard !user.isEmpty else { throw StoreURLError("names no user (postgres://user@host/database)") }
        database = try Self.decoded(path, part: "database")
        guard !database.isEmpty else { throw StoreURLError("names no database (postgres://user@host/database)") }
        tls = .prefer
        for parameter in query.split(separator: "&") where !parameter.isEmpty {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            let name = String(pair[0])
            let value = pair.count > 1 ? String(pair[1]) : ""
            switch name {
            case "sslmode":
                // verify-ca checks less than verify-full; this client checks the full name or nothing.
                guard let mode = TLSMode(rawValue: value == "verify-ca" ? "verify-full" : value) else {
                    throw StoreURLError(
                        "sslmode=\(value) is not one of disable, prefer, require, verify-ca, verify-full"
                    )
                }
                tls = mode
            default:
                throw StoreURLError("parameter \(name) is not supported (only sslmode)")
            }
        }
    }

    private static func hostAndPort(_ text: Substring) throws(StoreURLError) -> (String, Int) {
        var host = text
        var port = 5432
        if text.hasPrefix("[") {
            // An IPv6 literal: [::1]:5432.
            guard let close = text.firstIndex(of: "]") else { throw StoreURLError("host \(text) has no closing ]") }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if after.hasPrefix(":") { port = try Self.port(after.dropFirst()) }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            port = try Self.port(text[text.index(after: colon)...])
        }
        guard !host.isEmpty else { throw StoreURLError("names no host (postgres://user@host/database)") }
        return (String(host), port)
    }

    private static func port(_ text: Substring) throws(StoreURLError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw StoreURLError("port \(text) is not a number from 1 to 65535")
        }
        return port
    }

    private static func decoded(_ text: Substring, part: String) throws(StoreURLError) -> String {
        guard let decoded = String(text).removingPercentEncoding else {
            throw StoreURLError("the \(part) holds a malformed percent escape")
        }
        return decoded
    }

    /// The URL with the password replaced by `***`: what logs and errors show.
    package var description: String {
        let credentials = password == nil ? user : "\(user):***"
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(credentials)@\(hostPart):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }
}

/// `BRIDGE_DATABASE_URL` could not be read; the message names the part, never the password.
package struct StoreURLError: Error, Sendable, Equatable, CustomStringConvertible {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { "BRIDGE_DATABASE_URL \(message)" }
}
