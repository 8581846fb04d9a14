import Crypto
import Foundation

/// Encryption of personal data at rest and keyed lookups, for one resource.
///
/// Every capability stores personal fields (message bodies, topics, display names, phone numbers, email
/// addresses, custom ids) through this one helper:
/// - ``seal(_:field:)`` / ``open(_:field:)`` encrypt with AES-GCM under a key derived from the resource's data
///   key. The field name and the resource id are authenticated, so a value copied into another column or another
///   resource's row fails to open.
/// - ``blindIndex(_:kind:)`` gives a keyed HMAC of the normalised value, so a record can be found by phone number
///   or address without the value being stored in clear. It is per resource: the same address has unrelated
///   indexes in two resources.
///
/// Deleting a resource destroys its data key; everything sealed with it is unreadable from then on.
public struct ResourceCrypto: Sendable {
    let resourceID: UUID
    private let dataKey: SymmetricKey
    private let encryptionKey: SymmetricKey
    private let indexKey: SymmetricKey
    /// HMAC keyed with ``indexKey``, its key schedule done once: each blind index copies it and hashes its message.
    private let indexMAC: HMAC<SHA256>

    public init(dataKey: SymmetricKey, resourceID: UUID) {
        self.resourceID = resourceID
        self.dataKey = dataKey
        let salt = Data("switchboard:\(resourceID.uuidString.lowercased())".utf8)
        self.encryptionKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: dataKey, salt: salt, info: Data("field-encryption-v1".utf8), outputByteCount: 32)
        self.indexKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: dataKey, salt: salt, info: Data("blind-index-v1".utf8), outputByteCount: 32)
        self.indexMAC = HMAC<SHA256>(key: indexKey)
    }

    /// Encrypts a personal value for storage in `field`.
    public func seal(_ value: String, field: PersonalField) throws -> Data {
        try seal(data: Data(value.utf8), field: field)
    }

    /// Encrypts bytes (a queued delivery's payload) for storage in `field`; the same format as ``seal(_:field:)``.
    public func seal(data: Data, field: PersonalField) throws -> Data {
        let box = try AES.GCM.seal(data, using: encryptionKey, authenticating: context(field))
        // `combined` is nil only for nonces of a non-standard size; this one is the default 12 bytes.
        guard let combined = box.combined else { throw CryptoFailure.unsupportedFormat }
        return Data([Self.formatVersion]) + combined
    }

    /// Decrypts bytes sealed by ``seal(data:field:)`` (or ``seal(_:field:)``) for the same field of the same resource.
    public func open(data sealed: Data, field: PersonalField) throws(CryptoFailure) -> Data {
        guard sealed.first == Self.formatVersion else { throw .unsupportedFormat }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.dropFirst())
            return try AES.GCM.open(box, using: encryptionKey, authenticating: context(field))
        } catch {
            throw .authenticationFailed
        }
    }

    /// Decrypts a value sealed by ``seal(_:field:)`` for the same field of the same resource.
    public func open(_ sealed: Data, field: PersonalField) throws(CryptoFailure) -> String {
        guard let text = String(data: try open(data: sealed, field: field), encoding: .utf8) else { throw .unsupportedFormat }
        return text
    }

    /// Seals an optional value; `nil` stays `nil`.
    public func sealIfPresent(_ value: String?, field: PersonalField) throws -> Data? {
        try value.map { try seal($0, field: field) }
    }

    /// Opens an optional value; `nil` stays `nil`.
    public func openIfPresent(_ sealed: Data?, field: PersonalField) throws(CryptoFailure) -> String? {
        guard let sealed else { return nil }
        return try open(sealed, field: field)
    }

    /// A keyed, deterministic index of `value` after normalising it for its kind.
    public func blindIndex(_ value: String, kind: BlindIndexKind) -> Data {
        var mac = indexMAC
        mac.update(data: Data(kind.rawValue.utf8))
        mac.update(data: Data([0]))
        mac.update(data: Data(kind.normalize(value).utf8))
        return Data(mac.finalize())
    }

    /// The resource's Ed25519 key that signs its privacy receipts: derived from its data key, so it needs no storage
    /// of its own and dies with the resource.
    public var receiptSigningKey: Curve25519.Signing.PrivateKey {
        let seed = HKDF<SHA256>.deriveKey(inputKeyMaterial: dataKey, salt: salt, info: Data("privacy-receipt-signing-v1".utf8), outputByteCount: 32)
        // 32 bytes are always a valid Ed25519 seed.
        return seed.withUnsafeBytes { try! Curve25519.Signing.PrivateKey(rawRepresentation: Data($0)) }
    }

    /// A keyed hash of a person's identifier for a privacy receipt: the receipt proves which identifiers were erased
    /// to whoever can compute the hash (this resource), without naming them — and unrelated to the store's blind
    /// indexes, so a receipt leads to no row.
    public func receiptIdentifierHash(_ value: String, kind: BlindIndexKind) -> Data {
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: dataKey, salt: salt, info: Data("privacy-receipt-identifiers-v1".utf8), outputByteCount: 32)
        var message = Data(kind.rawValue.utf8)
        message.append(0)
        message.append(contentsOf: kind.normalize(value).utf8)
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: key))
    }

    private var salt: Data { Data("switchboard:\(resourceID.uuidString.lowercased())".utf8) }

    private func context(_ field: PersonalField) -> Data {
        Data("\(resourceID.uuidString.lowercased()):\(field.rawValue)".utf8)
    }

    static let formatVersion: UInt8 = 1
}

/// The name of a stored personal field (`table.column`), authenticated with its ciphertext.
public struct PersonalField: RawRepresentable, Hashable, Sendable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// What a blind index is computed over; decides normalisation and separates index domains.
public enum BlindIndexKind: String, Sendable {
    case phoneNumber = "phone"
    case emailAddress = "email"
    case customID = "custom-id"
    case communicationUser = "user"

    /// The canonical form two spellings of the same value share.
    public func normalize(_ value: String) -> String {
        switch self {
        case .phoneNumber:
            // ASCII text is one character per byte, so its digits are its digit bytes; other text keeps the
            // character-wise rule (a digit followed by a combining mark is one character, and not a digit).
            if value.utf8.allSatisfy({ $0 < 0x80 }) {
                return "+" + String(decoding: value.utf8.filter { $0 >= 0x30 && $0 <= 0x39 }, as: UTF8.self)
            }
            return "+" + value.filter(\.isASCIIDigit)
        case .emailAddress:
            return value.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        case .customID, .communicationUser:
            return value
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
