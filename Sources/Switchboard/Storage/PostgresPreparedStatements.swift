import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit
import Synchronization

/// The `SQLDatabase` a `read` or `transaction` body gets on PostgreSQL: sql-kit's view of one leased connection that
/// runs the statements it sees often as prepared statements, so PostgreSQL parses, analyses and plans each of them
/// once per connection instead of on every execution (about a third of its CPU time on a send's short statements).
///
/// A statement is prepared once its text (with its parameters' types) has run ``PreparedStatementNames/usesBeforePreparing``
/// times, up to ``PreparedStatementNames/limit`` statements in all, which bounds what the server keeps per connection
/// (variable `IN` lists and multi-row inserts make many texts). Everything else, statements whose parameters have no
/// PostgreSQL type of their own (sql-kit's JSON path), and every statement of a session after one failed, runs as
/// before, unnamed: a statement first prepared inside a failed transaction would stay unusable on its connection.
struct PreparingSQLDatabase: SQLDatabase {
    let connection: PostgresConnection
    let names: PreparedStatementNames
    let session = Session()

    var logger: Logger { connection.logger }
    var eventLoop: any EventLoop { connection.eventLoop }
    var dialect: any SQLDialect { PostgresDialect() }
    /// Statements are not logged: binds carry personal data.
    var queryLogLevel: Logger.Level? { nil }

    /// Whether a statement of this session failed.
    final class Session: Sendable {
        let failed = Atomic<Bool>(false)
    }

    /// The same connection as postgres-kit presents it: the unnamed path.
    var unnamed: any SQLDatabase { connection.sql(queryLogLevel: nil) }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        do {
            guard !session.failed.load(ordering: .relaxed), let prepared = prepared(query) else {
                try await unnamed.execute(sql: query, onRow)
                return
            }
            do {
                let rows = try await NamedStatement.$current.withValue(prepared.statement) {
                    try await connection.execute(NamedStatement(bindings: prepared.bindings), logger: connection.logger)
                }
                for try await row in rows { onRow(row.sql()) }
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == Self.cachedPlanChangedResultType {
                // Another node's migration changed a table this statement reads with `*`: the prepared statement can
                // never run again on its connections, so the text gets a new name (this execution fails, as the
                // change's transaction cannot go on after an error).
                names.retire(prepared.statement)
                throw error
            }
        } catch {
            session.failed.store(true, ordering: .relaxed)
            throw error
        }
    }

    /// `feature_not_supported`: "cached plan must not change result type".
    static let cachedPlanChangedResultType = "0A000"

    /// The statement's name and text with its binds encoded, if it is one to run prepared.
    private func prepared(_ query: any SQLExpression) -> (statement: NamedStatement.Text, bindings: PostgresBindings)? {
        let (sql, binds) = serialize(query)
        guard PreparedStatementNames.isPreparable(sql) else { return nil }
        var bindings = PostgresBindings(capacity: binds.count)
        var types: [PostgresDataType] = []
        types.reserveCapacity(binds.count)
        for bind in binds {
            guard let type = Self.append(bind, to: &bindings) else { return nil }
            types.append(type)
        }
        guard let name = names.name(for: sql, types: types) else { return nil }
        return (NamedStatement.Text(name: name, sql: sql, types: types), bindings)
    }

    /// Appends a bind as postgres-kit does on its fast path and returns its type (`.null`, "unspecified", for a nil
    /// the server types from its place); `nil` for a value only sql-kit's `Encodable` path can encode.
    private static func append(_ value: Any, to bindings: inout PostgresBindings) -> PostgresDataType? {
        if let optional = value as? any OptionalBind {
            guard let wrapped = optional.wrapped else {
                bindings.appendNull()
                return .null
            }
            return append(wrapped, to: &bindings)
        }
        guard let encodable = value as? any PostgresThrowingDynamicTypeEncodable else { return nil }
        do {
            try bindings.append(encodable, context: .default)
        } catch {
            return nil
        }
        return encodable.psqlType
    }
}

/// Lets a bind that arrives as an existential be unwrapped when it is an optional.
private protocol OptionalBind {
    var wrapped: Any? { get }
}

extension Optional: OptionalBind {
    var wrapped: Any? { self.map { $0 as Any } }
}

/// A statement prepared under a name chosen at run time. PostgresNIO names a prepared statement and its text by its
/// type (static properties); this type reads them from a task-local value bound only around `execute`, which reads
/// them before it suspends and again when it reports an error.
struct NamedStatement: PostgresPreparedStatement {
    struct Text: Sendable, Hashable {
        let name: String
        let sql: String
        let types: [PostgresDataType]
    }

    @TaskLocal static var current = Text(name: "", sql: "", types: [])

    static var name: String { current.name }
    static var sql: String { current.sql }
    static var bindingDataTypes: [PostgresDataType] { current.types }

    typealias Row = PostgresRow

    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// The names of the statements run prepared, shared by a database's connections: each connection prepares a name the
/// first time it runs it.
final class PreparedStatementNames: Sendable {
    /// At most this many statements are prepared, on each connection.
    let limit: Int
    /// A text is prepared once it has run this many times.
    static let usesBeforePreparing = 3
    /// Texts seen fewer times are counted up to this many; later ones run unnamed.
    static let counted = 10_000

    struct Key: Hashable {
        let sql: String
        let types: [PostgresDataType]
    }

    private struct State {
        var uses: [Key: Int] = [:]
        var names: [Key: String] = [:]
        var issued = 0
    }

    private let state = Mutex(State())

    init(limit: Int = 256) {
        self.limit = limit
    }

    /// The name `sql` runs under with parameters of `types`, or `nil` to run it unnamed.
    func name(for sql: String, types: [PostgresDataType]) -> String? {
        let key = Key(sql: sql, types: types)
        return state.withLock { state in
            if let name = state.names[key] { return name }
            guard state.issued < limit else { return nil }
            let uses = (state.uses[key] ?? 0) + 1
            guard uses >= Self.usesBeforePreparing else {
                if state.uses[key] != nil || state.uses.count < Self.counted { state.uses[key] = uses }
                return nil
            }
            state.uses[key] = nil
            state.issued += 1
            let name = "switchboard_\(state.issued)"
            state.names[key] = name
            return name
        }
    }

    /// Forgets the name of a statement that can no longer run: its next use is prepared under a new name.
    func retire(_ statement: NamedStatement.Text) {
        state.withLock { state in
            let key = Key(sql: statement.sql, types: statement.types)
            if state.names[key] == statement.name { state.names[key] = nil }
        }
    }

    /// How many statements have a name.
    var count: Int { state.withLock { $0.names.count } }

    /// Plain data statements: what a prepared statement is for (not `BEGIN`, DDL, `VACUUM`, `LISTEN`).
    static func isPreparable(_ sql: String) -> Bool {
        let first = sql.utf8.prefix { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "(") }
        switch String(decoding: first, as: UTF8.self).uppercased() {
        case "SELECT", "INSERT", "UPDATE", "DELETE", "WITH": return true
        default: return false
        }
    }
}
