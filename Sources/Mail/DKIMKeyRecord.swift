/// A DKIM public key record (RFC 6376 §3.6.1), as published in DNS TXT at `selector._domainkey.domain`.
public struct DKIMKeyRecord: Sendable, Hashable {
    /// `v=`: `DKIM1` when present.
    public var version: String?
    /// `k=`: the key type, `rsa` by default (`ed25519` per RFC 8463).
    public var keyType: String
    /// `h=`: the acceptable hash algorithms, nil when all are.
    public var hashAlgorithms: [String]?
    /// `p=`: the public key octets (for RSA a SubjectPublicKeyInfo or RSAPublicKey DER); empty when the key is revoked.
    public var publicKey: [UInt8]
    /// `s=`: service types, `["*"]` by default.
    public var serviceTypes: [String]
    /// `t=`: flags (`y` testing mode, `s` no subdomains in `i=`).
    public var flags: [String]
    /// `n=`: notes for humans.
    public var notes: String?

    /// Whether `p=` is empty: the key has been revoked.
    public var isRevoked: Bool { publicKey.isEmpty }
    /// Whether `t=y`: the domain is testing DKIM.
    public var isTesting: Bool { flags.contains("y") }

    /// Parses a key record. Throws when the tag list is malformed, `v=` is present but not first or
    /// not `DKIM1`, `p=` is missing or is not base64. Unknown tags are ignored.
    public init(parsing text: String) throws(DKIMError) {
        let tags = try DKIMTagList(parsing: text)
        if let version = tags["v"] {
            guard tags.tags.first?.name == "v", version == "DKIM1" else {
                throw .invalidKeyRecord("v= must come first and be DKIM1")
            }
        }
        version = tags["v"]
        keyType = ASCII.lowercased(tags["k"] ?? "rsa")
        hashAlgorithms = tags["h"].map(Self.list)
        serviceTypes = tags["s"].map(Self.list) ?? ["*"]
        flags = tags["t"].map(Self.list) ?? []
        notes = tags["n"]
        guard let key = tags["p"] else { throw .invalidKeyRecord("no p= tag") }
        let compact = DKIMTagList.compact(key)
        if compact.isEmpty {
            publicKey = []
        } else {
            guard let decoded = Base64Lines.decodeStrict(compact) else { throw .invalidKeyRecord("p= is not base64") }
            publicKey = decoded
        }
    }

    /// A colon-separated list, each item trimmed and lowercased.
    private static func list(_ value: String) -> [String] {
        value.split(separator: ":").map { ASCII.lowercased(ASCII.trimmed($0)) }.filter { !$0.isEmpty }
    }
}
