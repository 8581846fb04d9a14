#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import NIOCore

/// Why a resolver address was refused.
public enum DNSConfigurationError: Error, Hashable, Sendable {
    /// The host is not an IPv4 or IPv6 address literal. Names are refused on purpose: resolving
    /// the resolver's own name would need a resolver.
    case invalidHost(String)
    /// The port is not a number in 1…65535.
    case invalidPort(String)
}

/// The recursive resolver to ask: an IP address literal and a port.
public struct DNSServerAddress: Sendable, Hashable, CustomStringConvertible {
    /// The IP address literal as given (`192.0.2.53`, `2001:db8::53`).
    public let host: String
    public let port: Int
    /// The address datagrams and connections go to, and that answers must come from.
    public let socketAddress: SocketAddress

    /// The standard DNS port.
    public static let defaultPort = 53
    /// Where the system's resolver configuration lives on Linux and macOS.
    public static let resolvConfPath = "/etc/resolv.conf"
    /// Used when the system names no resolver: glibc does the same (resolv.conf(5)).
    public static let loopback = try! DNSServerAddress(host: "127.0.0.1")  // a valid literal

    public init(host: String, port: Int = DNSServerAddress.defaultPort) throws(DNSConfigurationError) {
        guard IPv4Address(host) != nil || IPv6Address(host) != nil else { throw .invalidHost(host) }
        guard (1...65535).contains(port) else { throw .invalidPort(String(port)) }
        do {
            socketAddress = try SocketAddress(ipAddress: host, port: port)
        } catch {
            throw .invalidHost(host)
        }
        self.host = host
        self.port = port
    }

    /// Parses the `--dns-resolver` forms: `192.0.2.53`, `192.0.2.53:5353`, `[2001:db8::53]:5353`,
    /// `[2001:db8::53]` and a bare `2001:db8::53` (port 53 when none is given).
    public init(parsing text: String) throws(DNSConfigurationError) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .invalidHost(text) }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty {
                try self.init(host: host)
            } else {
                guard rest.hasPrefix(":") else { throw .invalidHost(text) }
                try self.init(host: host, port: try Self.port(rest.dropFirst()))
            }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            try self.init(host: String(text[..<colon]), port: try Self.port(text[text.index(after: colon)...]))
        } else {
            try self.init(host: text)
        }
    }

    private static func port(_ text: Substring) throws(DNSConfigurationError) -> Int {
        guard text.allSatisfy(\.isASCII), let port = Int(text), (1...65535).contains(port) else { throw .invalidPort(String(text)) }
        return port
    }

    /// The first usable `nameserver` of `/etc/resolv.conf`, or 127.0.0.1:53 when there is none
    /// (or the file cannot be read).
    public static func system(resolvConfPath: String = DNSServerAddress.resolvConfPath) -> DNSServerAddress {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: resolvConfPath)) else { return .loopback }
        return fromResolvConf(String(decoding: data, as: UTF8.self)) ?? .loopback
    }

    /// The first `nameserver` line of resolv.conf text whose address this library can use.
    /// Comments start with `#` or `;`; entries with a zone index (`fe80::1%eth0`) are skipped.
    public static func fromResolvConf(_ contents: String) -> DNSServerAddress? {
        for line in contents.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { continue }
            if let address = try? DNSServerAddress(host: String(fields[1])) { return address }
        }
        return nil
    }

    /// `host:port`, with brackets around IPv6 hosts.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
