import Foundation
import Logging

/// Everything `serve` and the `resource` commands need to know, resolved from flags, environment and the
/// configuration file (see `SwitchboardCLI/ConfigurationResolver`).
public struct ServerConfiguration: Sendable {
    /// How the server speaks TLS.
    public enum TLSMode: Sendable, Equatable {
        /// A development CA and certificate generated in the data directory.
        case development
        /// The operator's own certificate chain and key (PEM files).
        case files(certificate: String, key: String)
        /// Plain HTTP, for running behind a TLS-terminating proxy.
        case disabled
    }

    /// Where the master key comes from.
    public enum MasterKeySource: Sendable, Equatable {
        /// A file holding the key as base64; created on first start if it does not exist.
        case file(String)
        /// The key itself, as base64 (from `SWITCHBOARD_MASTER_KEY`).
        case inline(String)
    }

    public var dataDirectory: URL
    public var host: String
    public var port: Int
    public var tls: TLSMode
    /// The URL clients reach the server at, when it differs from `scheme://host:port` (behind a proxy).
    public var publicURL: String?
    public var directory: DatabaseLocation
    public var stores: [Geography: DatabaseLocation]
    public var masterKey: MasterKeySource
    public var logLevel: Logger.Level
    /// Whether a first start creates the `dev` resource.
    public var createsDevelopmentResource: Bool

    /// The HTTP edge: connection time limits, the connection cap and the hosts requests may name.
    public var edge = EdgeConfiguration()

    // Each capability's settings, in its own group (carriers' settings — SMPP, SMTP, DNS, WhatsApp — join the same
    // way as their capabilities land).

    /// Chat: its limits.
    public var chat = ChatConfiguration()
    /// Events: how webhooks are called and retried.
    public var events = EventsConfiguration()
    /// SMS: the sandbox carrier's pace and the default wait for receipts.
    public var sms = SMSConfiguration()
    /// Email: the sandbox domain, the SPF mechanism domains must publish, the DNS resolver, the retry window.
    public var email = EmailConfiguration()
    /// Advanced Messages (WhatsApp): the Graph API the Cloud API carrier calls.
    public var whatsapp = MessagesConfiguration()

    public init(
        dataDirectory: URL, host: String = "127.0.0.1", port: Int = 8443, tls: TLSMode = .development,
        publicURL: String? = nil, directory: DatabaseLocation? = nil, stores: [Geography: DatabaseLocation] = [:],
        masterKey: MasterKeySource? = nil, logLevel: Logger.Level = .info, createsDevelopmentResource: Bool = true
    ) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.port = port
        self.tls = tls
        self.publicURL = publicURL
        self.directory = directory ?? .sqlite(path: dataDirectory.appendingPathComponent("directory.sqlite").path)
        self.stores = stores
        self.masterKey = masterKey ?? .file(dataDirectory.appendingPathComponent("master.key").path)
        self.logLevel = logLevel
        self.createsDevelopmentResource = createsDevelopmentResource
    }

    public var scheme: String { tls == .disabled ? "http" : "https" }

    /// Where unconfigured geographies keep their SQLite stores.
    public var defaultStoreDirectory: URL { dataDirectory.appendingPathComponent("stores") }

    /// The base URL for connection strings when the server is listening on `port`.
    public func baseURL(port actualPort: Int? = nil) -> String {
        if let publicURL { return publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL }
        let printedHost: String
        switch host {
        case "0.0.0.0", "": printedHost = "localhost"
        case "::": printedHost = "localhost"
        default: printedHost = host.contains(":") ? "[\(host)]" : host
        }
        return "\(scheme)://\(printedHost):\(actualPort ?? port)"
    }

    /// Refuses configurations that would break residency: two geographies sharing one database.
    public func validate() throws(ConfigurationError) {
        var seen: [DatabaseLocation: Geography] = [:]
        for (geography, location) in stores.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            if let other = seen[location] {
                throw ConfigurationError(
                    "geographies \(other.compactName) and \(geography.compactName) are configured with the same store \(location); each geography needs its own"
                )
            }
            seen[location] = geography
        }
        guard (0...65535).contains(port) else { throw ConfigurationError("port \(port) is out of range") }
        if let publicURL {
            guard let url = URL(string: publicURL), url.scheme == "https" || url.scheme == "http", url.host != nil else {
                throw ConfigurationError("the public URL '\(publicURL)' must be an absolute http(s) URL")
            }
        }
    }
}
