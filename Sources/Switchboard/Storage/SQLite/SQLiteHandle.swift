import CSQLiteSettings
import NIOCore
import SQLiteNIO
import Synchronization
import VaporCSQLite

/// One sqlite3 connection, called directly on whatever thread the caller is on.
///
/// Statements take microseconds, so running them inline costs less than the two thread hops per statement that
/// sqlite-kit pays (those hops were ~40% of the writer's CPU). What can block for long — taking the write lock when
/// another process holds it, fsync at `COMMIT`, a checkpoint waiting for readers — the engine runs on its own thread
/// (``BlockingThread``) by calling these same methods from there.
///
/// Every call takes the connection's mutex: a transaction body may run queries from several child tasks at once, and
/// the statement cache is not thread-safe. The lock is never contended in the common case.
final class SQLiteHandle: Sendable {
    /// What one query returned: the column names (when there was a row) and each row's values.
    struct Rows {
        var columns: [String] = []
        var values: [[SQLiteData]] = []
    }

    /// The transaction control the engine runs, prepared once when the connection opens. Bodies may not run any:
    /// an authorizer denies them, since a body's `COMMIT` or `ROLLBACK` would end the transaction other callers'
    /// changes are in.
    enum Control: String, CaseIterable {
        case begin = "BEGIN IMMEDIATE"
        case savepoint = "SAVEPOINT member"
        case release = "RELEASE member"
        case rollbackToSavepoint = "ROLLBACK TO member"
        case commit = "COMMIT"
        case rollback = "ROLLBACK"
    }

    private struct State {
        var db: OpaquePointer?
        var cache: StatementCache
        var control: [Control: OpaquePointer] = [:]
        /// Read by the authorizer callback (which runs inside prepare and step, under this mutex): whether
        /// transaction control may be prepared right now.
        let controlAllowed: UnsafeMutablePointer<Bool>
        /// Frames in the write-ahead log after the connection's last commit, written by the hook
        /// ``checkpointElsewhere()`` installs (0 until then).
        let walFrames: UnsafeMutablePointer<Int32>
        /// Milliseconds SQLite waits for another process's lock before answering "busy".
        let busyTimeout: Int32
        var prepares = 0
        /// Bumped whenever a body's use of the connection ends (see ``beginLease()``).
        var lease: UInt64 = 0
    }

    private let state: Mutex<State>

    /// Opens `path`, creating it if needed, and runs `pragmas`. Blocking: WAL recovery or a lock held by another
    /// process can make it wait, so call it on ``BlockingThread``.
    init(path: String, busyTimeout: Duration, pragmas: [String], cacheCapacity: Int = 256) throws {
        _ = Self.initialized
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE
        let opened = sqlite_nio_sqlite3_open_v2(path, &db, flags, nil)
        guard opened == SQLITE_OK, let db else {
            sqlite_nio_sqlite3_close(db)
            throw SQLiteErrors.make(code: opened, message: "Failed to open SQLite database at \(path)")
        }
        let controlAllowed = UnsafeMutablePointer<Bool>.allocate(capacity: 1)
        controlAllowed.initialize(to: true)
        let walFrames = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        walFrames.initialize(to: 0)
        let busyTimeout = Int32(busyTimeout / .milliseconds(1))
        var state = State(
            db: db, cache: StatementCache(capacity: cacheCapacity), controlAllowed: controlAllowed, walFrames: walFrames,
            busyTimeout: busyTimeout)
        do {
            let code = sqlite_nio_sqlite3_busy_timeout(db, busyTimeout)
            guard code == SQLITE_OK else { throw Self.error(code, db) }
            // Cached statements stay prepared (see CSQLiteSettings): the server's queries are written so that their
            // plans need no bound value (a partial index's condition is spelled out as literals).
            let stable = switchboard_sqlite_enable_stable_plans(UnsafeMutableRawPointer(db))
            guard stable == SQLITE_OK else { throw Self.error(stable, db) }
            for pragma in pragmas {
                let code = sqlite_nio_sqlite3_exec(db, pragma, nil, nil, nil)
                guard code == SQLITE_OK else { throw Self.error(code, db) }
            }
            for control in Control.allCases {
                state.control[control] = try Self.prepare(control.rawValue, db, &state)
            }
        } catch {
            Self.close(&state)
            throw error
        }
        controlAllowed.pointee = false
        sqlite_nio_sqlite3_set_authorizer(db, Self.guardTransactionControl, UnsafeMutableRawPointer(controlAllowed))
        self.state = Mutex(state)
    }

    /// SQLite configures itself on first use; doing it once up front avoids a race on its global configuration when
    /// several connections open at once (SQLiteNIO does the same).
    private static let initialized: Void = { _ = sqlite_nio_sqlite3_initialize() }()

    /// Lends the connection to one `read` or `transaction` body: its queries show the lease, and once
    /// ``endLease()`` has run they fail instead of running inside whatever uses the connection next (a body can leak
    /// its `SQLDatabase` into an unstructured task).
    func beginLease() -> UInt64 {
        state.withLock { $0.lease }
    }

    func endLease() {
        state.withLock { $0.lease &+= 1 }
    }

    /// Runs `sql` with `binds` and returns every row; `lease` is the body's (``beginLease()``), `nil` for the engine's
    /// own queries. Statements come from the cache and are reset, with their bindings cleared, before this returns,
    /// so none keeps a read transaction open.
    func query(_ sql: String, _ binds: [SQLiteData], lease: UInt64?) throws -> Rows {
        try state.withLock { state in
            guard let db = state.db else { throw Self.closedError }
            guard lease == nil || lease == state.lease else {
                throw SQLiteErrors.make(reason: .misuse, message: "a connection was used after its read or transaction ended")
            }
            let statement: OpaquePointer
            if let cached = state.cache.statement(for: sql) {
                statement = cached
            } else {
                statement = try Self.prepare(sql, db, &state)
                if let evicted = state.cache.insert(statement, for: sql) { sqlite_nio_sqlite3_finalize(evicted) }
            }
            defer {
                sqlite_nio_sqlite3_reset(statement)
                sqlite_nio_sqlite3_clear_bindings(statement)
            }
            try Self.bind(binds, to: statement, db)
            var rows = Rows()
            while true {
                let code = sqlite_nio_sqlite3_step(statement)
                guard code == SQLITE_ROW else {
                    guard code == SQLITE_DONE else { throw Self.error(code, db) }
                    return rows
                }
                let count = sqlite_nio_sqlite3_column_count(statement)
                if rows.values.isEmpty { rows.columns = try (0..<count).map { try Self.columnName(statement, $0) } }
                rows.values.append(try (0..<count).map { try Self.value(statement, $0) })
            }
        }
    }

    /// Runs one of the engine's transaction control statements.
    func run(_ control: Control) throws {
        try state.withLock { state in
            guard let db = state.db else { throw Self.closedError }
            let code = Self.step(control, &state)
            guard code == SQLITE_DONE else { throw Self.error(code, db) }
        }
    }

    /// Runs `BEGIN IMMEDIATE` without waiting for the write lock: `false` when another process holds it, and the
    /// caller should begin on ``BlockingThread``, where waiting out the busy timeout blocks nobody else.
    func tryBegin() throws -> Bool {
        try state.withLock { state in
            guard let db = state.db else { throw Self.closedError }
            sqlite_nio_sqlite3_busy_timeout(db, 0)
            defer { sqlite_nio_sqlite3_busy_timeout(db, state.busyTimeout) }
            let code = Self.step(.begin, &state)
            if code & 0xff == SQLITE_BUSY { return false }
            guard code == SQLITE_DONE else { throw Self.error(code, db) }
            return true
        }
    }

    /// Whether no transaction is open: after a body, `true` means SQLite rolled the whole transaction back on its own
    /// (`SQLITE_FULL`, `SQLITE_IOERR`, `RAISE(ROLLBACK)`, …).
    var isAutocommit: Bool {
        withHandle { sqlite_nio_sqlite3_get_autocommit($0) != 0 } ?? true
    }

    /// Whether the open transaction has foreign key violations that SQLite would only report at `COMMIT` (deferred
    /// constraints). In a shared batch that `COMMIT` would fail every member, so the member that caused them is
    /// failed instead.
    var hasPendingForeignKeyViolations: Bool {
        withHandle { db in
            var current: Int32 = 0
            var highwater: Int32 = 0
            return sqlite_nio_sqlite3_db_status(db, SQLITE_DBSTATUS_DEFERRED_FKS, &current, &highwater, 0) == SQLITE_OK && current > 0
        } ?? false
    }

    /// Stops this connection checkpointing the write-ahead log at its commits and has it count the log's frames
    /// instead (``walFrames``), so that a ``Checkpointer`` can do the work on a connection of its own.
    ///
    /// By default SQLite checkpoints inside the `COMMIT` that takes the log past 1,000 frames: the committing
    /// connection copies the log into the database file and fsyncs it before the commit returns. On the single writer
    /// that stalled every queued transaction (12% of the writer's samples while SMS submissions drained). A WAL hook
    /// replaces that default (`sqlite3_wal_hook` overrides `sqlite3_wal_autocheckpoint`); this one only records.
    func checkpointElsewhere() {
        state.withLock { state in
            guard let db = state.db else { return }
            sqlite_nio_sqlite3_wal_hook(db, Self.recordWALFrames, UnsafeMutableRawPointer(state.walFrames))
        }
    }

    /// Frames in the write-ahead log after this connection's last commit, once ``checkpointElsewhere()`` has run.
    var walFrames: Int { state.withLock { Int($0.walFrames.pointee) } }

    /// How many statements this connection has prepared, the engine's own included: the test of the cache.
    var prepareCount: Int { state.withLock { $0.prepares } }

    /// Lends the raw handle under the connection's mutex; `nil` once closed.
    func withHandle<T: Sendable>(_ body: @Sendable (OpaquePointer) throws -> T) rethrows -> T? {
        try state.withLock { state in
            guard let db = state.db else { return nil }
            return try body(db)
        }
    }

    /// Finalizes every statement and closes the connection. Later calls throw.
    func close() {
        state.withLock { Self.close(&$0) }
    }

    // MARK: SQLite calls, made under the mutex

    private static func step(_ control: Control, _ state: inout State) -> Int32 {
        guard let statement = state.control[control] else { return SQLITE_MISUSE }
        // A schema change expires every statement; SQLite then prepares this one again inside step, where the
        // authorizer must let it through.
        state.controlAllowed.pointee = true
        defer {
            state.controlAllowed.pointee = false
            sqlite_nio_sqlite3_reset(statement)
        }
        return sqlite_nio_sqlite3_step(statement)
    }

    private static func close(_ state: inout State) {
        guard let db = state.db else { return }
        for statement in state.cache.removeAll() + state.control.values { sqlite_nio_sqlite3_finalize(statement) }
        state.control = [:]
        sqlite_nio_sqlite3_close(db)
        state.db = nil
        state.controlAllowed.deallocate()
        state.walFrames.deallocate()
    }

    private static func prepare(_ sql: String, _ db: OpaquePointer, _ state: inout State) throws -> OpaquePointer {
        var statement: OpaquePointer?
        let code = sqlite_nio_sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        state.prepares += 1
        guard code == SQLITE_OK else {
            if code == SQLITE_AUTH {
                throw SQLiteErrors.make(code: code, message: "transactions are begun and ended by the database, not by statements: \(sql)")
            }
            throw error(code, db)
        }
        // An empty statement (only a comment, say) prepares to nothing; SQLiteNIO reports it as a misuse when stepped.
        guard let statement else { throw SQLiteErrors.make(code: SQLITE_MISUSE, message: "not an SQL statement") }
        return statement
    }

    /// Records the log's frame count after a commit (SQLite calls it inside the `COMMIT`, under the mutex).
    private static let recordWALFrames: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 = {
        frames, _, _, count in
        frames?.storeBytes(of: count, as: Int32.self)
        return SQLITE_OK
    }

    /// Denies `BEGIN`, `COMMIT`, `ROLLBACK` and savepoints unless the engine is running its own.
    private static let guardTransactionControl:
        @convention(c) (
            UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?
        ) -> Int32 = { allowed, action, _, _, _, _ in
            guard action == SQLITE_TRANSACTION || action == SQLITE_SAVEPOINT else { return SQLITE_OK }
            return allowed?.load(as: Bool.self) == true ? SQLITE_OK : SQLITE_DENY
        }

    /// Binds as SQLiteNIO does, so values reach SQLite identically.
    private static func bind(_ binds: [SQLiteData], to statement: OpaquePointer, _ db: OpaquePointer) throws {
        for (offset, bind) in binds.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch bind {
            case .blob(let value):
                code = value.withUnsafeReadableBytes {
                    sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), transient)
                }
            case .float(let value):
                code = sqlite_nio_sqlite3_bind_double(statement, index, value)
            case .integer(let value):
                code = sqlite_nio_sqlite3_bind_int64(statement, index, Int64(value))
            case .null:
                code = sqlite_nio_sqlite3_bind_null(statement, index)
            case .text(let value):
                code = sqlite_nio_sqlite3_bind_text64(statement, index, value, UInt64(value.utf8.count), transient, UInt8(SQLITE_UTF8))
            }
            guard code == SQLITE_OK else { throw error(code, db) }
        }
    }

    /// Reads a column as SQLiteNIO does, so rows decode identically.
    private static func value(_ statement: OpaquePointer, _ column: Int32) throws -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER:
            return .integer(.init(sqlite_nio_sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT:
            return .float(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else {
                throw SQLiteErrors.make(reason: .error, message: "Unexpected nil column text")
            }
            return .text(String(cString: text))
        case SQLITE_BLOB:
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            guard let bytes = sqlite_nio_sqlite3_column_blob(statement, column) else { return .blob(ByteBuffer()) }
            return .blob(ByteBuffer(bytes: UnsafeRawBufferPointer(start: bytes, count: length)))
        case SQLITE_NULL:
            return .null
        default:
            throw SQLiteErrors.make(reason: .error, message: "Unexpected column type")
        }
    }

    private static func columnName(_ statement: OpaquePointer, _ column: Int32) throws -> String {
        guard let name = sqlite_nio_sqlite3_column_name(statement, column) else {
            throw SQLiteErrors.make(reason: .error, message: "Unexpectedly found a nil column name at offset \(column)")
        }
        return String(cString: name)
    }

    private static func error(_ code: Int32, _ db: OpaquePointer) -> any Error {
        SQLiteErrors.make(code: code, message: sqlite_nio_sqlite3_errmsg(db).map { String(cString: $0) } ?? "Unknown")
    }

    private static let closedError = SQLiteErrors.make(reason: .misuse, message: "the connection is closed")

    /// SQLite copies bound values before the call returns, so Swift's temporary buffers can go.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
