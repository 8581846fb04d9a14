import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which addresses webhook calls may reach. An endpoint URL is the caller's to choose, so without a policy any
/// holder of a resource key could make the server call into its own network (server-side request forgery).
///
/// Link-local addresses (169.254.0.0/16, fe80::/10: cloud metadata services live there), unspecified and multicast
/// addresses are always refused. Loopback and private networks are allowed by default, since a developer's
/// receiver usually runs on the same machine; operators turn on ``denyPrivateNetworks`` so that only public
/// addresses are reached. Every address a host name resolves to is checked, at subscription and before every call,
/// and the call connects to the address that was checked (``WebhookClient``): a name that resolves to an allowed
/// address for the check and to a forbidden one a moment later (DNS rebinding) cannot reach the forbidden one.
public struct WebhookAddressPolicy: Sendable {
    public var denyPrivateNetworks: Bool
    /// How host names are resolved: the system's resolver, or one of a test's.
    public var resolver: HostResolver

    public init(denyPrivateNetworks: Bool = false, resolver: HostResolver = .system) {
        self.denyPrivateNetworks = denyPrivateNetworks
        self.resolver = resolver
    }

    /// Resolves `host` and throws ``WebhookAddressRefused`` if any of its addresses is not allowed; otherwise the
    /// address to connect to (the first the resolver gave).
    @discardableResult
    public func check(host: String) async throws -> IPAddress {
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let addresses: [IPAddress]
        if let literal = IPAddress(name) { addresses = [literal] } else { addresses = try await resolver.resolve(name) }
        guard let first = addresses.first else { throw WebhookAddressRefused(reason: "the endpoint's host name does not resolve") }
        for address in addresses {
            if let reason = refusal(of: address) { throw WebhookAddressRefused(reason: reason) }
        }
        return first
    }

    /// Why `address` may not be called, or `nil` if it may.
    public func refusal(of address: IPAddress) -> String? {
        switch address.scope {
        case .linkLocal: "link-local addresses (where cloud metadata services answer) are never called"
        case .unspecified, .multicast: "the endpoint's address cannot receive webhooks"
        case .loopback where denyPrivateNetworks: "this server does not call loopback addresses"
        case .privateNetwork where denyPrivateNetworks: "this server does not call private network addresses"
        default: nil
        }
    }

    /// An IPv4 or IPv6 address, as its bytes.
    public struct IPAddress: Sendable, Equatable, CustomStringConvertible {
        public let bytes: [UInt8]

        public init?(_ text: String) {
            var v4 = in_addr()
            var v6 = in6_addr()
            if inet_pton(AF_INET, text, &v4) == 1 {
                bytes = withUnsafeBytes(of: &v4) { Array($0) }
            } else if inet_pton(AF_INET6, text, &v6) == 1 {
                bytes = withUnsafeBytes(of: &v6) { Array($0) }
            } else {
                return nil
            }
        }

        init(bytes: [UInt8]) { self.bytes = bytes }

        public var description: String {
            bytes.count == 4
                ? bytes.map(String.init).joined(separator: ".")
                : stride(from: 0, to: 16, by: 2).map {
                    String(format: "%x", UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]))
                }.joined(separator: ":")
        }

        public enum Scope: Sendable { case unspecified, loopback, linkLocal, privateNetwork, multicast, global }

        public var scope: Scope {
            if bytes.count == 16 {
                // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible forms are judged as the IPv4 address they carry.
                if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
                    return IPAddress(bytes: Array(bytes[12..<16])).scope
                }
                if bytes.allSatisfy({ $0 == 0 }) { return .unspecified }
                if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return .loopback }
                if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { return .linkLocal }
                if bytes[0] & 0xfe == 0xfc { return .privateNetwork }  // fc00::/7, unique local
                if bytes[0] == 0xff { return .multicast }
                return .global
            }
            let (a, b) = (bytes[0], bytes[1])
            switch a {
            case 0: return .unspecified
            case 127: return .loopback
            case 10: return .privateNetwork
            case 169 where b == 254: return .linkLocal
            case 172 where (16...31).contains(b): return .privateNetwork
            case 192 where b == 168: return .privateNetwork
            case 100 where (64...127).contains(b): return .privateNetwork  // shared address space (carrier NAT)
            case 224...239: return .multicast
            case 240...255: return .unspecified
            default: return .global
            }
        }
    }

    /// The addresses the system's resolver gives for `name`.
    static func systemResolve(_ name: String) async throws -> [IPAddress] {
        try await Task.detached {
            var hints = addrinfo()
            #if canImport(Darwin)
                hints.ai_socktype = SOCK_STREAM
            #else
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            #endif
            var list: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(name, nil, &hints, &list) == 0, let first = list else {
                throw WebhookAddressRefused(reason: "the endpoint's host name does not resolve")
            }
            defer { freeaddrinfo(first) }
            var result: [IPAddress] = []
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            while let entry = cursor {
                if let address = entry.pointee.ai_addr {
                    switch Int32(address.pointee.sa_family) {
                    case AF_INET:
                        address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                            var raw = v4.pointee.sin_addr
                            result.append(IPAddress(bytes: withUnsafeBytes(of: &raw) { Array($0) }))
                        }
                    case AF_INET6:
                        address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                            var raw = v6.pointee.sin6_addr
                            result.append(IPAddress(bytes: withUnsafeBytes(of: &raw) { Array($0) }))
                        }
                    default: break
                    }
                }
                cursor = entry.pointee.ai_next
            }
            return result
        }.value
    }
}

/// Resolves a host name to its addresses.
public struct HostResolver: Sendable {
    let resolve: @Sendable (String) async throws -> [WebhookAddressPolicy.IPAddress]

    public init(_ resolve: @escaping @Sendable (String) async throws -> [WebhookAddressPolicy.IPAddress]) {
        self.resolve = resolve
    }

    /// The system's resolver (`getaddrinfo`: hosts file, DNS).
    public static let system = HostResolver { try await WebhookAddressPolicy.systemResolve($0) }
}

/// A webhook endpoint whose address the server's policy does not allow it to call.
public struct WebhookAddressRefused: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public var description: String { reason }
}
