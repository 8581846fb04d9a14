import Foundation
import SwiftASN1
import X509

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The host names a request may name, in its `Host` header or an absolute-form target.
///
/// Links the server writes (`nextLink`, `Location`, `Operation-Location`) are built from the authority a request
/// named, and the SDKs follow them with the caller's credentials: a request naming any host it liked, passed on by
/// a proxy, could send a caller's token elsewhere. So only the hosts the server was configured or certified for are
/// accepted: the public URL's host, the listening address (on a wildcard address, the addresses of the machine's
/// interfaces), the machine's name, the loopback names, every name the TLS certificate carries, and the operator's `--allowed-host`s.
public struct AllowedHosts: Sendable {
    private let names: Set<String>
    /// `*.example.com` certificate names, stored as `.example.com`.
    private let wildcardSuffixes: [String]

    /// - Parameters:
    ///   - names: host names and addresses.
    ///   - wildcardSuffixes: certificate wildcards (`*.example.com`), each matching one label in front of the rest.
    public init(names: [String], wildcardSuffixes: [String] = []) {
        self.names = Set(names.compactMap(Self.normalize))
        self.wildcardSuffixes = wildcardSuffixes.compactMap { Self.normalize($0.hasPrefix("*") ? String($0.dropFirst()) : $0) }
            .map { $0.hasPrefix(".") ? $0 : "." + $0 }
    }

    /// The hosts of `configuration`, reading its certificate's names when it serves its own.
    public init(_ configuration: ServerConfiguration) {
        var names = ["localhost", "127.0.0.1", "::1"] + configuration.edge.allowedHosts
        var wildcards: [String] = []
        if let publicURL = configuration.publicURL, let host = URL(string: publicURL)?.host { names.append(host) }
        let wildcard = ["0.0.0.0", "::", ""].contains(configuration.host)
        names += Self.machineNames(withAddresses: wildcard)
        if !wildcard { names.append(configuration.host) }
        if case .files(let certificate, _) = configuration.tls {
            for name in Self.certificateNames(file: certificate) {
                if name.hasPrefix("*.") { wildcards.append(name) } else { names.append(name) }
            }
        }
        self.init(names: names, wildcardSuffixes: wildcards)
    }

    /// Whether `authority` (`host`, `host:port`, `[v6]:port`) names an allowed host; the port is not compared (a
    /// port forward or proxy may change it).
    public func allows(authority: String) -> Bool {
        guard let host = Self.host(of: authority), let name = Self.normalize(host) else { return false }
        if names.contains(name) { return true }
        return wildcardSuffixes.contains { suffix in
            name.hasSuffix(suffix) && !name.dropLast(suffix.count).contains(".") && name.count > suffix.count
        }
    }

    /// The host part of an authority, without brackets; `nil` when it is malformed (userinfo, empty, bad port).
    static func host(of authority: String) -> String? {
        guard !authority.isEmpty, !authority.contains("@"), !authority.contains(where: { $0 == " " || $0 == "/" }) else { return nil }
        var host = Substring(authority)
        var port: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                port = rest.dropFirst()
            }
        } else if let colon = host.lastIndex(of: ":") {
            port = host[host.index(after: colon)...]
            host = host[..<colon]
            if host.contains(":") { return nil }
        }
        if let port, port.isEmpty || port.count > 5 || !port.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return nil }
        return host.isEmpty ? nil : String(host)
    }

    /// Lower case without a trailing dot; IP addresses in their canonical spelling.
    public static func normalize(_ host: String) -> String? {
        var name = host.lowercased()
        if name.hasPrefix("[") && name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty else { return nil }
        if let address = WebhookAddressPolicy.IPAddress(name) { return address.description }
        return name
    }

    /// The machine's host name, and with `withAddresses` the addresses of its interfaces: what clients use to reach
    /// a server listening on every address.
    static func machineNames(withAddresses: Bool) -> [String] {
        var names: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        if gethostname(&buffer, buffer.count) == 0 {
            let name = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            names.append(name)
            if let short = name.split(separator: ".").first { names.append(String(short)) }
        }
        var list: UnsafeMutablePointer<ifaddrs>?
        guard withAddresses, getifaddrs(&list) == 0, let first = list else { return names }
        defer { freeifaddrs(first) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            if let address = entry.pointee.ifa_addr {
                var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                        var raw = v4.pointee.sin_addr
                        if inet_ntop(AF_INET, &raw, &text, socklen_t(text.count)) != nil {
                            names.append(String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self))
                        }
                    }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                        var raw = v6.pointee.sin6_addr
                        if inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count)) != nil {
                            names.append(String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self))
                        }
                    }
                default: break
                }
            }
            cursor = entry.pointee.ifa_next
        }
        return names
    }

    /// The DNS names and IP addresses of the first certificate in a PEM file (unreadable files give none: the TLS
    /// setup reports them).
    static func certificateNames(file: String) -> [String] {
        guard let pem = try? String(contentsOfFile: file, encoding: .utf8),
            let first = try? PEMDocument.parseMultiple(pemString: pem).first,
            let certificate = try? Certificate(derEncoded: first.derBytes),
            let alternatives = try? certificate.extensions.subjectAlternativeNames
        else { return [] }
        return alternatives.compactMap { name in
            switch name {
            case .dnsName(let dns): return dns
            case .ipAddress(let octets):
                let bytes = Array(octets.bytes)
                guard bytes.count == 4 || bytes.count == 16 else { return nil }
                return WebhookAddressPolicy.IPAddress(bytes: bytes).description
            default: return nil
            }
        }
    }
}
