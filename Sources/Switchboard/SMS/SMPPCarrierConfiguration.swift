import Foundation
import SMPP

/// One SMPP carrier, as `--sms-carrier NAME=smpp://system_id:password@host:port?…` names it (`smpps://` for TLS).
/// Query: `bind=trx` (the one bind mode supported: transceiver), `window=10` (outstanding submit_sm),
/// `geography=unitedstates` (the carrier sends for resources of that geography whose numbers are not an operator's
/// at another carrier, and alphanumeric ids), `enquireLink=30` (seconds), `systemType=`, `concatenation=udh|sar|payload`.
public struct SMPPCarrierConfiguration: Sendable, Equatable {
    public var name: String
    public var host: String
    public var port: Int
    public var systemID: String
    public var password: String
    public var systemType: String
    public var window: Int
    public var tls: Bool
    public var geography: Geography?
    public var enquireLinkInterval: Duration
    /// How long messages travel: concatenated segments with a UDH (the default), with SAR TLVs, or whole in
    /// `message_payload` when the carrier asks for it.
    public var concatenation: ConcatenationMethod

    /// Parses `NAME=URL`; the error says what is wrong, never echoing the password.
    public init(parsing text: String) throws(ConfigurationError) {
        guard let equals = text.firstIndex(of: "="), case let name = String(text[..<equals]),
            !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        else { throw ConfigurationError("--sms-carrier takes NAME=smpp://system_id:password@host:port (NAME: letters, digits, - or _)") }
        guard let url = URLComponents(string: String(text[text.index(after: equals)...])), let scheme = url.scheme?.lowercased(),
            scheme == "smpp" || scheme == "smpps", let host = url.host, !host.isEmpty, let port = url.port,
            let user = url.user, !user.isEmpty
        else { throw ConfigurationError("--sms-carrier \(name): the address must be smpp://system_id:password@host:port or smpps://…") }
        self.name = name
        self.host = host
        self.port = port
        systemID = user.removingPercentEncoding ?? user
        password = (url.password ?? "").removingPercentEncoding ?? ""
        tls = scheme == "smpps"
        var query: [String: String] = [:]
        for item in url.queryItems ?? [] { query[item.name.lowercased()] = item.value ?? "" }
        let known: Set = ["bind", "window", "geography", "enquirelink", "systemtype", "concatenation"]
        if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigurationError(
                "--sms-carrier \(name): unknown option '\(unknown)' (bind, window, geography, enquireLink, systemType, concatenation)")
        }
        guard (query["bind"] ?? "trx") == "trx" else {
            throw ConfigurationError("--sms-carrier \(name): bind=\(query["bind"] ?? "") is not supported; use bind=trx (transceiver)")
        }
        guard let window = Int(query["window"] ?? "10"), (1...1000).contains(window) else {
            throw ConfigurationError("--sms-carrier \(name): window must be 1-1000")
        }
        self.window = window
        if let text = query["geography"] {
            guard let geography = try? Geography(parsing: text) else {
                throw ConfigurationError("--sms-carrier \(name): unknown geography '\(text)'")
            }
            self.geography = geography
        }
        guard let seconds = Int(query["enquirelink"] ?? "30"), (1...3600).contains(seconds) else {
            throw ConfigurationError("--sms-carrier \(name): enquireLink must be 1-3600 seconds")
        }
        enquireLinkInterval = .seconds(seconds)
        systemType = query["systemtype"] ?? ""
        switch query["concatenation"] ?? "udh" {
        case "udh": concatenation = .udh
        case "sar": concatenation = .sar
        case "payload": concatenation = .messagePayload
        default: throw ConfigurationError("--sms-carrier \(name): concatenation must be udh, sar or payload")
        }
    }

    var client: SMPPClientConfiguration {
        SMPPClientConfiguration(
            host: host, port: port, systemID: systemID, password: password, systemType: systemType, bindMode: .transceiver,
            windowSize: window, enquireLinkInterval: enquireLinkInterval)
    }
}
