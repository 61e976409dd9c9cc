import PostgresStore

extension BridgeConfiguration {
    /// `BRIDGE_DATABASE_URL` (or `_FILE`), `BRIDGE_CLAIM_LEASE` and `BRIDGE_DATABASE_POOL_SIZE`: the
    /// PostgreSQL store, or `nil` for SQLite. The URL holds a password: a problem names the part that is
    /// wrong, never the value.
    static func loadDatabase(_ reader: inout Reader) -> PostgresStore.Configuration? {
        // Read whether or not a URL is set, so a lease or pool size that is wrong is reported either way.
        // Shorter than a few seconds, a slow request would lose its claim to another replica.
        let lease = reader.duration("BRIDGE_CLAIM_LEASE", atLeast: .seconds(5))
        let poolSize = reader.integer("BRIDGE_DATABASE_POOL_SIZE", in: 1...200)
        guard let text = reader.string("BRIDGE_DATABASE_URL") else { return nil }
        let url: DatabaseURL
        do {
            url = try DatabaseURL(parsing: text)
        } catch {
            reader.problem("BRIDGE_DATABASE_URL", String(error.description.dropFirst("BRIDGE_DATABASE_URL ".count)))
            return nil
        }
        var database = PostgresStore.Configuration(url: url)
        database.claimLease = lease ?? database.claimLease
        database.poolSize = poolSize ?? database.poolSize
        return database
    }
}
