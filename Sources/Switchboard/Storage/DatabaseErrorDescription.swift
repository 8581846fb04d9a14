import PostgresNIO

/// A description of a database failure for operators: what went wrong, without the values of the statement.
///
/// PostgresNIO hides everything behind a generic text by design (its debug description includes the query and
/// can include bound values). This keeps the useful part — the failure kind, PostgreSQL's SQLSTATE and primary
/// message, and the network cause — and nothing a statement carried, so it is safe in logs and on the console.
public enum DatabaseErrorDescription {
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        var parts = ["PostgreSQL \(error.code)"]
        if let info = error.serverInfo {
            if let state = info[.sqlState] { parts.append("SQLSTATE \(state)") }
            if let message = info[.message] { parts.append(message) }
        }
        if let underlying = error.underlying { parts.append("\(underlying)") }
        return parts.joined(separator: ": ")
    }
}

extension DatabaseErrorDescription {
    /// Whether `error` says the database is unreachable or briefly unable to serve (connection lost, server
    /// shutting down, out of connections, a deadlock or serialization failure): worth a 503 and a retry, not a 500.
    public static func isTransient(_ error: any Error) -> Bool {
        if error is DatabaseUnavailable { return true }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
            return true
        case .server:
            guard let state = error.serverInfo?[.sqlState] else { return false }
            // 08: connection exception; 53: insufficient resources; 57P01–57P03: shutting down or starting up;
            // 40001 and 40P01: serialization failure and deadlock, which a retry resolves.
            return state.hasPrefix("08") || state.hasPrefix("53") || ["57P01", "57P02", "57P03", "40001", "40P01"].contains(state)
        default:
            return false
        }
    }
}
