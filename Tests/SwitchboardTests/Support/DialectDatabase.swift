import Logging
import NIOCore
import NIOPosix
import SQLKit
import Synchronization

/// A database that only has a dialect: statements are serialized and recorded, never run. For checking what SQL
/// each engine is sent, the way sql-kit's own tests do (`expectSerialization`).
final class DialectDatabase: SQLDatabase {
    let dialect: any SQLDialect
    private let executed = Mutex<[String]>([])

    init(_ dialect: any SQLDialect) {
        self.dialect = dialect
    }

    var logger: Logger { .quiet }
    var eventLoop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }

    /// The statements executed so far, as serialized.
    var statements: [String] { executed.withLock { $0 } }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        let sql = serialize(query).sql
        executed.withLock { $0.append(sql) }
        return eventLoop.makeSucceededVoidFuture()
    }

    /// `expression` as this dialect writes it.
    func sql(_ expression: any SQLExpression) -> String {
        serialize(expression).sql
    }
}
