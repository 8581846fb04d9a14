import Crypto
import _CryptoExtras

/// Helpers for DKIM keys and their DNS TXT records.
public enum DKIMKey {
    /// A new 2048-bit RSA signing key.
    public static func generate() -> _RSA.Signing.PrivateKey {
        // Key generation only fails if the system's random source or BoringSSL is broken.
        try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    }

    /// The TXT record to publish at `selector._domainkey.domain`:
    /// `v=DKIM1; k=rsa; p=<base64 of the SubjectPublicKeyInfo DER>`.
    public static func txtRecord(for publicKey: _RSA.Signing.PublicKey) -> String {
        "v=DKIM1; k=rsa; p=" + Base64Text.encode(publicKey.derRepresentation)
    }

    /// Splits a TXT value into character-strings of at most 255 octets (RFC 1035 §3.3.14), without
    /// splitting a UTF-8 sequence; resolvers join them back without separators.
    public static func txtStrings(_ value: String) -> [String] {
        var strings: [String] = []
        var current = ""
        var currentLength = 0
        for scalar in value.unicodeScalars {
            let length = String(scalar).utf8.count
            if currentLength + length > 255 {
                strings.append(current)
                current = ""
                currentLength = 0
            }
            current.unicodeScalars.append(scalar)
            currentLength += length
        }
        if !current.isEmpty || strings.isEmpty { strings.append(current) }
        return strings
    }
}
