/// A connection's prepared statements by SQL text, so a query the server runs again is not parsed and planned again
/// (preparing was 6.6% of the writer's CPU when every statement was prepared anew).
///
/// Bounded, least recently used out first: queries built with a variable number of binds (`IN (?, ?, …)`) have many
/// texts, and each statement holds memory in SQLite. The cache only stores handles; the connection prepares,
/// resets and finalizes them, so this type needs no SQLite calls and is tested on its own.
struct StatementCache {
    private struct Entry {
        let statement: OpaquePointer
        var lastUse: UInt64
    }

    let capacity: Int
    private var entries: [String: Entry] = [:]
    private var clock: UInt64 = 0

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    var count: Int { entries.count }

    /// The cached statement for `sql`, marked as just used.
    mutating func statement(for sql: String) -> OpaquePointer? {
        clock += 1
        guard var entry = entries[sql] else { return nil }
        entry.lastUse = clock
        entries[sql] = entry
        return entry.statement
    }

    /// Caches `statement` for `sql` and returns the statement it evicted, which the caller must finalize. Eviction
    /// scans for the oldest entry: it happens only on a miss with a full cache, and a scan of a few hundred entries
    /// costs less than the prepare that caused it.
    mutating func insert(_ statement: OpaquePointer, for sql: String) -> OpaquePointer? {
        clock += 1
        var evicted: OpaquePointer?
        if entries.count >= capacity, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            evicted = oldest.value.statement
            entries[oldest.key] = nil
        }
        entries[sql] = Entry(statement: statement, lastUse: clock)
        return evicted
    }

    /// Empties the cache and returns every statement it held, for finalizing.
    mutating func removeAll() -> [OpaquePointer] {
        defer { entries = [:] }
        return entries.values.map(\.statement)
    }
}
