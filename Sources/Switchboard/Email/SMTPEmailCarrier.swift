import DNSClient
import Foundation
import Logging
import Mail
import NIOCore
import NIOSSL
import SMTP

/// How the SMTP carrier reaches recipients' mailboxes.
public enum SMTPDelivery: Sendable, Equatable {
    /// Through one relay (`--email-relay smtp://user:pass@host:port?starttls=required`).
    case relay(SMTPRelay)
    /// Straight to each recipient domain's MX hosts in preference order (the domain itself when it has none), on
    /// `port` (25; another only for tests).
    case direct(port: Int)
}

/// A relay, parsed from `smtp://[user:password@]host[:port][?starttls=required|opportunistic|none][&ca=PEM-FILE][&connections=N]`
/// or `smtps://…` (TLS from the first byte, port 465).
public struct SMTPRelay: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var tls: SMTPTLSMode
    public var username: String?
    public var password: String?
    /// A PEM file of the CAs the relay's certificate is checked against, instead of the system's.
    public var trustRootsFile: String?
    /// How many connections to the relay may be open at once (`&connections=N`, 1–50; default 4).
    public var connections: Int

    public init(parsing text: String) throws(ConfigurationError) {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), scheme == "smtp" || scheme == "smtps",
            let host = url.host, !host.isEmpty
        else { throw ConfigurationError("--email-relay must be smtp://[user:password@]host[:port][?starttls=required] or smtps://…") }
        self.host = host
        let query = Dictionary((url.queryItems ?? []).map { ($0.name.lowercased(), $0.value ?? "") }, uniquingKeysWith: { $1 })
        if scheme == "smtps" {
            tls = .implicit
            port = url.port ?? 465
        } else {
            port = url.port ?? 587
            switch query["starttls"]?.lowercased() ?? "required" {
            case "required": tls = .startTLS(required: true)
            case "opportunistic": tls = .startTLS(required: false)
            case "none": tls = .none
            default: throw ConfigurationError("--email-relay: starttls must be required, opportunistic or none")
            }
        }
        username = url.user?.removingPercentEncoding
        password = url.password?.removingPercentEncoding
        trustRootsFile = query["ca"].flatMap { $0.isEmpty ? nil : $0 }
        guard let connections = Int(query["connections"] ?? "4"), (1...50).contains(connections) else {
            throw ConfigurationError("--email-relay: connections must be a number from 1 to 50")
        }
        self.connections = connections
        guard (1...65535).contains(port) else { throw ConfigurationError("--email-relay: the port is out of range") }
    }
}

/// Delivers over SMTP (RFC 5321): a transaction per recipient's copy, connections kept open from batch to batch
/// (``SMTPConnectionPool``; a batch is one lane: one recipient domain, or one of the relay's connections). Replies map to outcomes: `2xx` after DATA delivered, `4xx` (or a
/// server out of reach) deferred, `5xx` bounced.
struct SMTPEmailCarrier: EmailCarrier {
    static let name = "smtp"

    let delivery: SMTPDelivery
    let dns: any DNSLookupService
    /// The name given in EHLO: this server's host name.
    let hostname: String
    let timeouts: SMTPTimeouts
    let logger: Logger
    /// Connections kept open between batches.
    var pool = SMTPConnectionPool()

    var name: String { Self.name }
    var window: Int { 50 }

    func lane(forRecipient address: MailAddress) -> String {
        switch delivery {
        case .relay(let relay):
            // Spread over the relay's connections by a stable hash of the address (FNV-1a), so a recipient's copies
            // keep their order.
            let hash = address.addrSpec.lowercased().utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }
            return "relay-\(Int(hash % UInt32(relay.connections)))"
        case .direct: return address.domain.lowercased()
        }
    }

    func deliver(_ envelopes: [EmailEnvelope]) async -> [EmailDeliveryOutcome] {
        guard let first = envelopes.first else { return [] }
        let hosts: [(host: String, port: Int, configuration: SMTPClientConfiguration)]
        switch delivery {
        case .relay(let relay):
            do {
                hosts = [(relay.host, relay.port, try configuration(relay))]
            } catch {
                return envelopes.map { _ in .failed(reason: "The relay's TLS settings are not usable: \(error)") }
            }
        case .direct(let port):
            let domain = first.recipient.split(separator: "@").last.map(String.init) ?? ""
            switch await exchangers(of: domain) {
            case .hosts(let names):
                guard !names.isEmpty else {
                    return envelopes.map { _ in .bounced(server: nil, reply: "550 5.1.10 The domain \(domain) accepts no mail (null MX, RFC 7505).") }
                }
                var resolved: [(host: String, port: Int, configuration: SMTPClientConfiguration)] = []
                for name in names {
                    for address in await addresses(of: name) {
                        resolved.append((name, port, directConfiguration(name: name, address: address, port: port)))
                    }
                }
                guard !resolved.isEmpty else {
                    return envelopes.map { _ in .deferred(server: nil, reason: "No address found for the mail exchangers of \(domain).") }
                }
                hosts = resolved
            case .outcome(let outcome):
                return envelopes.map { _ in outcome }
            }
        }
        var lastFailure = "No mail server could be reached."
        for (host, port, configuration) in hosts {
            let server = "\(configuration.host):\(port)"
            let connection: SMTPConnection
            if let pooled = await pool.take(server) {
                connection = pooled
            } else {
                do {
                    connection = try await SMTPConnection.connect(configuration: configuration, logger: logger)
                } catch {
                    lastFailure = "\(host): \(error)"
                    continue
                }
            }
            var outcomes: [EmailDeliveryOutcome] = []
            for envelope in envelopes {
                outcomes.append(await send(envelope, over: connection, host: host))
            }
            await pool.give(connection, to: server)
            return outcomes
        }
        return envelopes.map { _ in .deferred(server: nil, reason: lastFailure) }
    }

    func send(_ envelope: EmailEnvelope, over connection: SMTPConnection, host: String) async -> EmailDeliveryOutcome {
        guard connection.isOpen else { return .deferred(server: host, reason: "\(host) closed the connection.") }
        let eightBit = envelope.message.contains { $0 >= 0x80 }
        let smtpEnvelope = SMTPEnvelope(
            reversePath: envelope.mailFrom, recipients: [envelope.recipient], bodyType: eightBit ? .eightBitMIME : .sevenBit,
            requiresSMTPUTF8: envelope.requiresSMTPUTF8)
        do {
            let result = try await connection.send(smtpEnvelope, message: ByteBuffer(bytes: envelope.message))
            let server = connection.remoteHostname
            if !result.mailFrom.isPositiveCompletion { return Self.outcome(result.mailFrom, server: server) }
            if let rejected = result.rejectedRecipients.first { return Self.outcome(rejected.reply, server: server) }
            guard let data = result.data else { return .deferred(server: server, reason: "\(server) took no message.") }
            return Self.outcome(data, server: server)
        } catch let error as SMTPError {
            switch error {
            // What no retry can change: the message as it is cannot travel to this server.
            case .messageTooLarge, .eightBitMIMENotSupported, .smtpUTF8NotSupported, .lineTooLong:
                return .bounced(server: host, reply: "\(error)")
            default:
                return .deferred(server: host, reason: "\(error)")
            }
        } catch {
            return .deferred(server: host, reason: "\(error)")
        }
    }

    static func outcome(_ reply: SMTPReply, server: String) -> EmailDeliveryOutcome {
        let text = "\(reply.code) \(reply.text)"
        if reply.isPositiveCompletion { return .delivered(server: server, reply: text) }
        if reply.isPermanentFailure { return .bounced(server: server, reply: text) }
        return .deferred(server: server, reason: text)
    }

    enum Exchangers {
        case hosts([String])
        /// No host to try: every envelope ends with this.
        case outcome(EmailDeliveryOutcome)
    }

    /// The domain's mail exchangers in preference order; the domain itself when it has no MX (RFC 5321 §5.1); none
    /// for a null MX.
    func exchangers(of domain: String) async -> Exchangers {
        do {
            switch try await dns.mx(domain) {
            case .found(let answer):
                let records = answer.records.sorted { $0.preference < $1.preference }
                if records.count == 1, records[0].exchange.description == "." || records[0].exchange.description.isEmpty { return .hosts([]) }
                return .hosts(records.map { $0.exchange.description.trimmingCharacters(in: CharacterSet(charactersIn: ".")) })
            case .noRecords:
                return .hosts([domain])
            case .nameDoesNotExist:
                return .outcome(.bounced(server: nil, reply: "550 5.1.2 The recipient's domain \(domain) does not exist."))
            }
        } catch {
            return .outcome(.deferred(server: nil, reason: "The MX lookup for \(domain) failed: \(error)"))
        }
    }

    /// A mail exchanger's addresses through the configured resolver (IPv4, then IPv6; RFC 5321 §5.1), so that
    /// the MX answer and the address come from the same DNS; an address literal as it is.
    func addresses(of name: String) async -> [String] {
        if name.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" || ("a"..."f").contains($0.lowercased()) }),
            name.contains(":") || name.split(separator: ".").count == 4
        {
            return [name]
        }
        var found: [String] = []
        if case .found(let answer) = try? await dns.a(name) { found += answer.records.map(\.description) }
        if case .found(let answer) = try? await dns.aaaa(name) { found += answer.records.map(\.description) }
        return found
    }

    /// Direct delivery encrypts when it can and does not insist on a certificate it could check: mail exchangers
    /// rarely have one for the name the MX record gives (opportunistic TLS, RFC 7435). It connects to the address
    /// and names the exchanger in TLS's server name.
    func directConfiguration(name: String, address: String, port: Int) -> SMTPClientConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        return SMTPClientConfiguration(
            host: address, port: port, tls: .startTLS(required: false), tlsConfiguration: tls, serverName: name, clientHostname: hostname,
            timeouts: timeouts)
    }

    func configuration(_ relay: SMTPRelay) throws -> SMTPClientConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = relay.trustRootsFile { tls.trustRoots = .file(file) }
        let credentials = relay.username.map { SMTPCredentials(username: $0, password: relay.password ?? "") }
        return SMTPClientConfiguration(
            host: relay.host, port: relay.port, tls: relay.tls, tlsConfiguration: tls, clientHostname: hostname, credentials: credentials,
            timeouts: timeouts)
    }
}
