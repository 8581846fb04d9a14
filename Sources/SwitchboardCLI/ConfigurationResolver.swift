import Foundation
import Logging
import Switchboard

/// Resolves every setting from, in order of precedence: the command-line flag, the environment variable
/// (`SWITCHBOARD_…`), the JSON configuration file, the default.
///
/// The file is `--config FILE`, `SWITCHBOARD_CONFIG`, or `switchboard.json` in the data directory when present:
///
/// ```json
/// { "host": "0.0.0.0", "port": 8443, "publicUrl": "https://comms.example.com",
///   "tlsCertificate": "/etc/switchboard/tls.pem", "tlsKey": "/etc/switchboard/tls-key.pem", "insecureHttp": false,
///   "directory": "postgres://switchboard@db/directory",
///   "stores": { "europe": "postgres://switchboard@db-eu/switchboard", "unitedstates": "sqlite:///var/lib/sb/us.sqlite" },
///   "masterKeyFile": "/etc/switchboard/master.key", "logLevel": "info", "createDevResource": true,
///   "chatSendRate": "10/10", "webhookRetryDelays": "10s,30s,1m", "webhookTimeout": "30s", "webhookDenyPrivateNetworks": true }
/// ```
public struct ConfigurationResolver {
    let options: SwitchboardOptions
    let environment: [String: String]
    let file: [String: Any]
    let dataDirectory: URL

    public init(options: SwitchboardOptions, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws
    {
        self.options = options
        self.environment = environment
        let dataDir = options.dataDir ?? environment["SWITCHBOARD_DATA_DIR"] ?? ".switchboard"
        self.dataDirectory = URL(fileURLWithPath: dataDir).standardizedFileURL
        let explicitFile = options.config ?? environment["SWITCHBOARD_CONFIG"]
        let path = explicitFile ?? dataDirectory.appendingPathComponent("switchboard.json").path
        if FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { throw ConfigurationError("the configuration file \(path) is not a JSON object") }
            try Self.validate((try? JSONDecoder().decode([String: JSONValue].self, from: data)) ?? [:], path: path)
            self.file = object
        } else if let explicitFile {
            throw ConfigurationError("the configuration file \(explicitFile) does not exist")
        } else {
            self.file = [:]
        }
    }

    /// The keys of the configuration file and the JSON type each takes.
    enum FileValue { case text, number, bool, stores }
    static let fileKeys: [String: FileValue] = [
        "host": .text, "port": .number, "publicUrl": .text, "tlsCertificate": .text, "tlsKey": .text, "insecureHttp": .bool,
        "directory": .text, "stores": .stores, "masterKeyFile": .text, "logLevel": .text, "createDevResource": .bool,
        "chatSendRate": .text, "webhookRetryDelays": .text, "webhookTimeout": .text, "smsSandboxDelay": .text, "smsSenderRates": .text,
        "webhookDenyPrivateNetworks": .bool, "allowedHosts": .text, "maxConnections": .number, "tlsHandshakeTimeout": .text,
        "headerTimeout": .text, "bodyTimeout": .text, "idleTimeout": .text, "dnsResolver": .text, "emailSpf": .text, "emailRelay": .text,
        "emailDirect": .bool,
        "emailSmtpPort": .number, "smtpListen": .text, "emailRetryDelays": .text, "whatsappGraphUrl": .text,
    ]

    /// Refuses a file with keys Switchboard does not know (a typo would otherwise be ignored silently, e.g. leave a
    /// geography on its default store) or with values of the wrong type.
    static func validate(_ object: [String: JSONValue], path: String) throws {
        for (key, value) in object {
            guard let kind = fileKeys[key] else {
                throw ConfigurationError(
                    "the configuration file \(path) has an unknown key '\(key)'; the keys are \(fileKeys.keys.sorted().joined(separator: ", "))")
            }
            let fits: Bool
            let expected: String
            switch (kind, value) {
            case (.text, .string): (fits, expected) = (true, "")
            case (.text, _): (fits, expected) = (false, "a string")
            case (.number, .number): (fits, expected) = (true, "")
            case (.number, .string(let text)): (fits, expected) = (Int(text) != nil, "a number")
            case (.number, _): (fits, expected) = (false, "a number")
            case (.bool, .bool): (fits, expected) = (true, "")
            case (.bool, _): (fits, expected) = (false, "true or false")
            case (.stores, .object(let stores)):
                (fits, expected) = (
                    stores.values.allSatisfy { if case .string = $0 { true } else { false } }, #"an object of "geography": "URL" strings"#
                )
            case (.stores, _): (fits, expected) = (false, #"an object of "geography": "URL" strings"#)
            }
            guard fits else { throw ConfigurationError("the configuration file \(path): '\(key)' must be \(expected)") }
        }
    }

    func string(_ flag: String?, env: String, key: String) -> String? {
        if let flag { return flag }
        if let value = environment[env], !value.isEmpty { return value }
        if let value = file[key] as? String { return value }
        if let value = file[key] as? NSNumber { return value.stringValue }
        return nil
    }

    func bool(_ flag: Bool, env: String, key: String) -> Bool {
        if flag { return true }
        if let value = environment[env] { return ["1", "true", "yes", "on"].contains(value.lowercased()) }
        return (file[key] as? Bool) ?? false
    }

    public func resolve() throws -> ServerConfiguration {
        let portText = string(options.port.map(String.init), env: "SWITCHBOARD_PORT", key: "port")
        let port: Int
        if let portText {
            guard let value = Int(portText) else { throw ConfigurationError("port '\(portText)' is not a number") }
            port = value
        } else {
            port = 8443
        }

        let tls: ServerConfiguration.TLSMode
        let certificate = string(options.tlsCert, env: "SWITCHBOARD_TLS_CERT", key: "tlsCertificate")
        let key = string(options.tlsKey, env: "SWITCHBOARD_TLS_KEY", key: "tlsKey")
        if bool(options.insecureHTTP, env: "SWITCHBOARD_INSECURE_HTTP", key: "insecureHttp") {
            tls = .disabled
        } else if let certificate, let key {
            tls = .files(certificate: certificate, key: key)
        } else if certificate != nil || key != nil {
            throw ConfigurationError("give both a TLS certificate and its key, or neither")
        } else {
            tls = .development
        }

        let directory = try string(options.directory, env: "SWITCHBOARD_DIRECTORY", key: "directory")
            .map { try DatabaseLocation(parsing: $0) }

        var stores: [Geography: DatabaseLocation] = [:]
        if let fileStores = file["stores"] as? [String: String] {
            for (name, url) in fileStores { stores[try Geography(parsing: name)] = try DatabaseLocation(parsing: url) }
        }
        for (name, url) in environment where name.hasPrefix("SWITCHBOARD_STORE_") {
            stores[try Geography(parsing: String(name.dropFirst("SWITCHBOARD_STORE_".count)).replacingOccurrences(of: "_", with: ""))] =
                try DatabaseLocation(parsing: url)
        }
        for entry in options.store {
            // A URL given without its geography is refused without echoing it: it may hold a password.
            guard let equals = entry.firstIndex(of: "="), !entry[..<equals].contains(":") else {
                throw ConfigurationError("--store takes GEOGRAPHY=URL, got '\(DatabaseLocation.redacted(entry))'")
            }
            stores[try Geography(parsing: String(entry[..<equals]))] =
                try DatabaseLocation(parsing: String(entry[entry.index(after: equals)...]))
        }

        let masterKey: ServerConfiguration.MasterKeySource?
        if let file = options.masterKeyFile {
            masterKey = .file(file)
        } else if let inline = environment["SWITCHBOARD_MASTER_KEY"], !inline.isEmpty {
            masterKey = .inline(inline)
        } else {
            masterKey = string(nil, env: "SWITCHBOARD_MASTER_KEY_FILE", key: "masterKeyFile").map { .file($0) }
        }

        let levelText = string(options.logLevel, env: "SWITCHBOARD_LOG_LEVEL", key: "logLevel") ?? "info"
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw ConfigurationError("log level '\(levelText)' is not one of trace, debug, info, notice, warning, error, critical")
        }

        var chatLimits = ChatLimits()
        if let rate = string(options.chatSendRate, env: "SWITCHBOARD_CHAT_SEND_RATE", key: "chatSendRate") {
            let parts = rate.split(separator: "/")
            guard parts.count == 2, let messages = Int(parts[0]), let seconds = Int(parts[1]), messages > 0, seconds > 0 else {
                throw ConfigurationError("the chat send rate '\(rate)' must be MESSAGES/SECONDS, e.g. 10/10")
            }
            chatLimits.messagesPerWindow = messages
            chatLimits.windowSeconds = seconds
        }

        var schedule = RetrySchedule.eventGrid
        if let text = string(options.webhookRetryDelays, env: "SWITCHBOARD_WEBHOOK_RETRY_DELAYS", key: "webhookRetryDelays") {
            schedule = RetrySchedule(delays: try text.split(separator: ",").map { try Self.duration(String($0), name: "webhook retry delay") })
        }
        let timeout =
            try string(options.webhookTimeout, env: "SWITCHBOARD_WEBHOOK_TIMEOUT", key: "webhookTimeout")
            .map { try Self.duration($0, name: "webhook timeout") } ?? .seconds(30)

        var configuration = ServerConfiguration(
            dataDirectory: dataDirectory,
            host: string(options.host, env: "SWITCHBOARD_HOST", key: "host") ?? "127.0.0.1",
            port: port,
            tls: tls,
            publicURL: string(options.publicURL, env: "SWITCHBOARD_PUBLIC_URL", key: "publicUrl"),
            directory: directory,
            stores: stores,
            masterKey: masterKey,
            logLevel: level,
            createsDevelopmentResource: (file["createDevResource"] as? Bool) ?? true)
        configuration.chat.limits = chatLimits
        configuration.events.retrySchedule = schedule
        configuration.events.timeout = timeout
        let carriers =
            options.smsCarriers.isEmpty
            ? (environment["SWITCHBOARD_SMS_CARRIERS"] ?? "").split(separator: " ").map(String.init) : options.smsCarriers
        configuration.sms.carriers = try carriers.map { try SMPPCarrierConfiguration(parsing: $0) }
        if Set(configuration.sms.carriers.map(\.name)).count != configuration.sms.carriers.count
            || carriers.contains(where: { $0.hasPrefix("sandbox=") })
        {
            throw ConfigurationError("--sms-carrier names must be unique and not 'sandbox'")
        }
        if let text = string(options.smsSenderRates, env: "SWITCHBOARD_SMS_SENDER_RATES", key: "smsSenderRates") {
            configuration.sms.pacing = try SMSPacing(parsing: text)
        }
        if let text = string(options.smsSandboxDelay, env: "SWITCHBOARD_SMS_SANDBOX_DELAY", key: "smsSandboxDelay") {
            configuration.sms.sandboxReceiptDelay = try Self.duration(text, name: "SMS sandbox delay")
        }
        if let text = string(options.whatsappGraphUrl, env: "SWITCHBOARD_WHATSAPP_GRAPH_URL", key: "whatsappGraphUrl") {
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ConfigurationError("--whatsapp-graph-url must be an http or https URL")
            }
            configuration.whatsapp.graphURL = text
        }
        configuration.email.dnsResolver = string(options.dnsResolver, env: "SWITCHBOARD_DNS_RESOLVER", key: "dnsResolver")
        configuration.email.spfMechanism = string(options.emailSpf, env: "SWITCHBOARD_EMAIL_SPF", key: "emailSpf")
        let relay = string(options.emailRelay, env: "SWITCHBOARD_EMAIL_RELAY", key: "emailRelay")
        let direct = bool(options.emailDirect, env: "SWITCHBOARD_EMAIL_DIRECT", key: "emailDirect")
        if relay != nil && direct { throw ConfigurationError("--email-relay and --email-direct exclude each other") }
        if let relay { configuration.email.delivery = .relay(try SMTPRelay(parsing: relay)) }
        if direct {
            let portText = string(options.emailSmtpPort.map(String.init), env: "SWITCHBOARD_EMAIL_SMTP_PORT", key: "emailSmtpPort")
            guard let port = Int(portText ?? "25"), (1...65535).contains(port) else {
                throw ConfigurationError("--email-smtp-port must be a port number")
            }
            configuration.email.delivery = .direct(port: port)
        }
        if let text = string(options.emailRetryDelays, env: "SWITCHBOARD_EMAIL_RETRY_DELAYS", key: "emailRetryDelays") {
            configuration.email.retrySchedule = RetrySchedule(
                delays: try text.split(separator: ",").map { try Self.duration(String($0), name: "email retry delay") })
        }
        if let text = string(options.smtpListen, env: "SWITCHBOARD_SMTP_LISTEN", key: "smtpListen") {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
                throw ConfigurationError("--smtp-listen must be HOST:PORT, e.g. 0.0.0.0:25")
            }
            let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            configuration.email.inboundListen = (host.isEmpty ? "0.0.0.0" : host, port)
        }
        configuration.edge = try edge()
        configuration.events.addresses = WebhookAddressPolicy(
            denyPrivateNetworks: bool(
                options.webhookDenyPrivateNetworks, env: "SWITCHBOARD_WEBHOOK_DENY_PRIVATE_NETWORKS", key: "webhookDenyPrivateNetworks"))
        return configuration
    }

    /// The HTTP edge's limits and allowed hosts.
    func edge() throws -> EdgeConfiguration {
        var edge = EdgeConfiguration()
        edge.allowedHosts =
            options.allowedHosts.isEmpty
            ? (string(nil, env: "SWITCHBOARD_ALLOWED_HOSTS", key: "allowedHosts") ?? "").split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty } : options.allowedHosts
        for host in edge.allowedHosts where AllowedHosts.normalize(host) == nil || host.contains("/") || host.contains(" ") {
            throw ConfigurationError("the allowed host '\(host)' is not a host name or address")
        }
        if let text = string(options.maxConnections.map(String.init), env: "SWITCHBOARD_MAX_CONNECTIONS", key: "maxConnections") {
            guard let value = Int(text), value >= 1 else { throw ConfigurationError("the connection limit '\(text)' must be a positive number") }
            edge.maxConnections = value
        }
        let timeouts: [(String?, String, String, WritableKeyPath<EdgeConfiguration, Duration>)] = [
            (options.tlsHandshakeTimeout, "SWITCHBOARD_TLS_HANDSHAKE_TIMEOUT", "tlsHandshakeTimeout", \.tlsHandshakeTimeout),
            (options.headerTimeout, "SWITCHBOARD_HEADER_TIMEOUT", "headerTimeout", \.headerTimeout),
            (options.bodyTimeout, "SWITCHBOARD_BODY_TIMEOUT", "bodyTimeout", \.bodyTimeout),
            (options.idleTimeout, "SWITCHBOARD_IDLE_TIMEOUT", "idleTimeout", \.idleTimeout),
        ]
        for (flag, env, key, path) in timeouts {
            if let text = string(flag, env: env, key: key) { edge[keyPath: path] = try Self.duration(text, name: key) }
        }
        return edge
    }

    /// `500ms`, `10s`, `5m`, `1h`, or a number of seconds.
    static func duration(_ text: String, name: String) throws -> Duration {
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)), value > 0 { return .milliseconds(Int64(value * scale * 1000)) }
        }
        if let value = Double(text), value > 0 { return .milliseconds(Int64(value * 1000)) }
        throw ConfigurationError("the \(name) '\(text)' is not a duration like 500ms, 10s, 5m or 1h")
    }
}
