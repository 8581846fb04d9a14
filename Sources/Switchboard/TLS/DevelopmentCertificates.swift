import Crypto
import Foundation
import SwiftASN1
import X509

/// The development certificate authority and server certificate `serve` creates on first start.
///
/// Both certificates carry what strict X.509 verification (Python 3.13's `VERIFY_X509_STRICT`, current OpenSSL
/// and browsers) requires: the CA has critical basic constraints and key usage and a subject key identifier; the
/// server certificate names `localhost`, `127.0.0.1` and `::1` (and any other configured host) as subject
/// alternative names, is not a CA, allows server authentication only, and links to the CA through its authority
/// key identifier. The CA is kept and reused; the server certificate is re-issued when it nears expiry or when
/// the set of names changes.
public struct DevelopmentCertificates: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// The CA certificate clients trust (`ca.pem`, in the data directory).
    public var caCertificateFile: URL { directory.appendingPathComponent("ca.pem") }
    var caKeyFile: URL { directory.appendingPathComponent("tls/ca-key.pem") }
    public var serverCertificateFile: URL { directory.appendingPathComponent("tls/server.pem") }
    public var serverKeyFile: URL { directory.appendingPathComponent("tls/server-key.pem") }

    static let caLifetime: TimeInterval = 10 * 365 * 86_400
    static let serverLifetime: TimeInterval = 397 * 86_400
    static let renewalMargin: TimeInterval = 30 * 86_400

    /// Makes sure a CA and a server certificate for `hosts` exist and are current.
    public func prepare(hosts: [String], now: Date) throws {
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("tls"), withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let (ca, caKey) = try loadOrCreateAuthority(now: now)
        let names = Self.subjectAlternativeNames(for: hosts)
        if let existing = try? Certificate(pemEncoded: String(contentsOf: serverCertificateFile, encoding: .utf8)),
            FileManager.default.fileExists(atPath: serverKeyFile.path),
            existing.notValidAfter.timeIntervalSince(now) > Self.renewalMargin,
            existing.issuer == ca.subject,
            (try? existing.extensions.subjectAlternativeNames).flatMap({ $0 }).map(Set.init) == Set(names)
        {
            return
        }
        try issueServerCertificate(names: names, ca: ca, caKey: caKey, now: now)
    }

    private func loadOrCreateAuthority(now: Date) throws -> (Certificate, Certificate.PrivateKey) {
        if let certificate = try? Certificate(pemEncoded: String(contentsOf: caCertificateFile, encoding: .utf8)),
            let key = try? Certificate.PrivateKey(pemEncoded: String(contentsOf: caKeyFile, encoding: .utf8)),
            certificate.notValidAfter > now, certificate.publicKey == key.publicKey
        {
            return (certificate, key)
        }
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let name = try DistinguishedName {
            OrganizationName("Switchboard")
            CommonName("Switchboard Development CA \(Self.shortID())")
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
            Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: key.publicKey)
            AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: key.publicKey).keyIdentifier)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(Self.caLifetime),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: key)
        try Self.write(try key.serializeAsPEM().pemString, to: caKeyFile, mode: 0o600)
        try Self.write(try certificate.serializeAsPEM().pemString, to: caCertificateFile, mode: 0o644)
        return (certificate, key)
    }

    private func issueServerCertificate(
        names: [GeneralName], ca: Certificate, caKey: Certificate.PrivateKey, now: Date
    ) throws {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let caKeyIdentifier =
            try ca.extensions.subjectKeyIdentifier?.keyIdentifier
            ?? SubjectKeyIdentifier(hash: ca.publicKey).keyIdentifier
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.serverAuth])
            SubjectAlternativeNames(names)
            SubjectKeyIdentifier(hash: key.publicKey)
            AuthorityKeyIdentifier(keyIdentifier: caKeyIdentifier)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(Self.serverLifetime),
            issuer: ca.subject,
            subject: try DistinguishedName {
                OrganizationName("Switchboard")
                CommonName("localhost")
            },
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: caKey)
        try Self.write(try key.serializeAsPEM().pemString, to: serverKeyFile, mode: 0o600)
        try Self.write(try certificate.serializeAsPEM().pemString, to: serverCertificateFile, mode: 0o644)
    }

    /// `localhost`, `127.0.0.1`, `::1` and the given hosts, as DNS names or IP addresses.
    static func subjectAlternativeNames(for hosts: [String]) -> [GeneralName] {
        var seen = Set<String>()
        var names: [GeneralName] = []
        for host in ["localhost", "127.0.0.1", "::1"] + hosts {
            let host = host.lowercased()
            guard !host.isEmpty, host != "0.0.0.0", host != "::", seen.insert(host).inserted else { continue }
            if let bytes = IPAddress.bytes(host) {
                names.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...])))
            } else {
                names.append(.dnsName(host))
            }
        }
        return names
    }

    static func shortID() -> String {
        String(UUID().uuidString.prefix(8))
    }

    static func write(_ text: String, to url: URL, mode: Int) throws {
        try Data((text.hasSuffix("\n") ? text : text + "\n").utf8).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    }
}

/// Textual IPv4 and IPv6 addresses to bytes.
enum IPAddress {
    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
