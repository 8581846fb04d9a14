import Foundation

/// Where a database lives, as written in configuration:
/// `sqlite:///absolute/path.sqlite`, `sqlite:relative/path.sqlite`, or
/// `postgres://user:password@host:port/database?sslmode=disable|prefer|require`.
public enum DatabaseLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    public init(parsing text: String) throws(ConfigurationError) {
        if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }
            guard !path.isEmpty else { throw ConfigurationError("'\(text)' names no SQLite file") }
            self = .sqlite(path: path)
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(try PostgresLocation(parsing: text))
        } else {
            throw ConfigurationError("'\(Self.redacted(text))' is not a database URL; use sqlite:///path or postgres://user@host:port/db")
        }
    }

    /// The location without its password, safe to print and log.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite://\(path)"
        case .postgres(let location): location.description
        }
    }

    public static func redacted(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@"), let scheme = text.range(of: "://") else { return text }
        return String(text[..<scheme.upperBound]) + "…" + String(text[at...])
    }
}

/// A PostgreSQL server and database.
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    public enum TLSMode: String, Sendable { case disable, prefer, require }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// How many statements each connection keeps prepared (``PreparingSQLDatabase``); 0 prepares none, for a
    /// connection pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
    /// `?prepared_statements=N|off`; 256 unless given.
    public var preparedStatements: Int

    public init(parsing text: String) throws(ConfigurationError) {
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            throw ConfigurationError("'\(DatabaseLocation.redacted(text))' is not a valid PostgreSQL URL")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres"
        self.password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? username : path
        let sslmode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        switch sslmode {
        case "disable": self.tls = .disable
        case "allow", "prefer": self.tls = .prefer
        case "require", "verify-ca", "verify-full": self.tls = .require
        default: throw ConfigurationError("sslmode '\(sslmode)' is not supported; use disable, prefer or require")
        }
        switch components.queryItems?.first(where: { $0.name == "prepared_statements" })?.value {
        case nil: self.preparedStatements = 256
        case "off": self.preparedStatements = 0
        case let value?:
            guard let limit = Int(value), (0...10_000).contains(limit), value.allSatisfy(\.isASCII) else {
                throw ConfigurationError("prepared_statements '\(value)' is not supported; use a number from 0 to 10000, or off")
            }
            self.preparedStatements = limit
        }
    }

    public var description: String {
        "postgres://\(username)@\(host):\(port)/\(database)"
    }
}

/// A configuration value that cannot be used, with a message for the operator.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
