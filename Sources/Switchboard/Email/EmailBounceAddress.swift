import Foundation

/// The envelope sender of every copy (VERP): `bounces+CODE@DOMAIN`, where CODE is the resource's id and the
/// recipient's random bounce token in lower-case base32 (42 characters; a local part may have 64, RFC 5321
/// §4.5.3.1.1). What comes back to it — a delivery status notification, or the mail of List-Unsubscribe's `mailto:` —
/// names the recipient it is about without trusting anything else in the message; the token cannot be guessed, so a
/// forged bounce changes nothing.
enum EmailBounceAddress {
    static let prefix = "bounces+"
    static let tokenBytes = 10

    /// A new recipient's bounce token: 80 random bits, base32.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base32.encode((0..<tokenBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    static func address(resource: UUID, token: String, domain: String) -> String {
        let id = withUnsafeBytes(of: resource.uuid) { Array($0) }
        return "\(prefix)\(Base32.encode(id + (Base32.decode(token) ?? [])))@\(domain)"
    }

    /// The resource and bounce token an address names, or `nil` for one not of this shape.
    static func parse(_ address: String) -> (resource: UUID, token: String)? {
        guard let at = address.lastIndex(of: "@") else { return nil }
        let local = address[..<at].lowercased()
        guard local.hasPrefix(prefix) else { return nil }
        let code = local.dropFirst(prefix.count)
        guard let bytes = Base32.decode(code), bytes.count == 16 + tokenBytes else { return nil }
        let uuid = bytes.prefix(16).withUnsafeBytes { UUID(uuid: $0.loadUnaligned(as: uuid_t.self)) }
        return (uuid, Base32.encode(Array(bytes.dropFirst(16))))
    }
}

/// RFC 4648 base32 in lower case without padding: what survives in an email local part, whose case some servers
/// change.
enum Base32 {
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                output.append(alphabet[(buffer >> bits) & 31])
            }
        }
        if bits > 0 { output.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes of `text`, or `nil` if it has a character outside the alphabet or leftover bits that are not zero.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var output: [UInt8] = []
        var buffer = 0
        var bits = 0
        for character in text.utf8 {
            guard let value = alphabet.firstIndex(of: character | 0x20) else { return nil }
            buffer = ((buffer << 5) | value) & 0xFFFF
            bits += 5
            if bits >= 8 {
                bits -= 8
                output.append(UInt8((buffer >> bits) & 0xFF))
            }
        }
        guard bits < 5, buffer & ((1 << bits) - 1) == 0 else { return nil }
        return output
    }
}
