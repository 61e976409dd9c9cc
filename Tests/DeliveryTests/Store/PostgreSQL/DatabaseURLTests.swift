import PostgresStore
import Testing

/// `BRIDGE_DATABASE_URL` as libpq spells it; errors name the part, never the password.
@Suite("Database URL")
struct DatabaseURLTests {
    @Test(
        "URLs libpq takes",
        arguments: [
            (
                "postgres://bridge:s3cret@db.internal:6432/queue?sslmode=require",
                DatabaseURL(host: "db.internal", port: 6432, user: "bridge", password: "s3cret", database: "queue", tls: .require)
            ),
            ("postgresql://bridge@localhost/queue", DatabaseURL(host: "localhost", user: "bridge", database: "queue")),
            (
                "postgres://us%40er:p%3Ass%2Fw@[::1]:5433/q?sslmode=disable",
                DatabaseURL(host: "::1", port: 5433, user: "us@er", password: "p:ss/w", database: "q", tls: .disable)
            ),
            (
                "postgres://u:p@h/d?sslmode=verify-ca",
                DatabaseURL(host: "h", user: "u", password: "p", database: "d", tls: .verifyFull)
            ),
            ("  postgres://u@h/d?sslmode=prefer\n", DatabaseURL(host: "h", user: "u", database: "d", tls: .prefer)),
        ]
    )
    func parses(_ text: String, _ expected: DatabaseURL) throws {
        #expect(try DatabaseURL(parsing: text) == expected)
    }

    @Test(
        "URLs refused, with the part named",
        arguments: [
            ("mysql://u@h/d", "scheme mysql"),
            ("db.internal:5432", "must start with postgres://"),
            ("postgres://u@:5432/d", "names no host"),
            ("postgres://u@h:99999/d", "port 99999"),
            ("postgres://u@h:abc/d", "port abc"),
            ("postgres://h/d", "names no user"),
            ("postgres://u@h", "names no database"),
            ("postgres://u@h/d?sslmode=sometimes", "sslmode=sometimes"),
            ("postgres://u@h/d?application_name=x", "parameter application_name"),
        ]
    )
    func refuses(_ text: String, _ named: String) {
        #expect {
            try DatabaseURL(parsing: text)
        } throws: { error in
            "\(error)".contains(named) && "\(error)".hasPrefix("BRIDGE_DATABASE_URL")
        }
    }

    @Test("the URL as logs and errors show it has no password")
    func redacted() throws {
        let url = try DatabaseURL(parsing: "postgres://bridge:hunter2-secret@db:5432/queue")
        #expect(!"\(url)".contains("hunter2"))
        #expect("\(url)" == "postgres://bridge:***@db:5432/queue?sslmode=prefer")
        #expect {
            try DatabaseURL(parsing: "postgres://bridge:hunter2-secret@db:5432/queue?sslmode=nope")
        } throws: { error in
            !"\(error)".contains("hunter2")
        }
    }
}
