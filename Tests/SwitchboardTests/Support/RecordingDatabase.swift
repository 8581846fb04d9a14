import Logging
import NIOCore
import SQLKit
import Synchronization

/// A real database that also records the statements it is sent, as serialized: for proving how many statements a
/// piece of work costs, whatever the data.
final class RecordingDatabase: SQLDatabase {
    let base: any SQLDatabase
    private let executed = Mutex<[String]>([])

    init(_ base: any SQLDatabase) {
        self.base = base
    }

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    /// The statements executed so far.
    var statements: [String] { executed.withLock { $0 } }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        record(query)
        return base.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        record(query)
        try await base.execute(sql: query, onRow)
    }

    private func record(_ query: any SQLExpression) {
        let sql = serialize(query).sql
        executed.withLock { $0.append(sql) }
    }
}
