import Crypto
import Foundation

/// The key that wraps every resource's keys (access keys, data key, token-signing key).
///
/// Switchboard never stores a resource key in clear: the directory holds them sealed with this key, bound to
/// the resource and to the key's purpose, so a sealed key cannot be moved to another resource or slot.
public struct MasterKey: Sendable {
    let key: SymmetricKey

    public init(_ key: SymmetricKey) throws(CryptoFailure) {
        guard key.bitCount == 256 else { throw .invalidKeyLength }
        self.key = key
    }

    /// Creates a new random key.
    public static func generate() -> MasterKey {
        // A 256-bit key always passes the length check.
        try! MasterKey(SymmetricKey(size: .bits256))
    }

    /// Reads a key written as base64 text (the form of the key file and of `SWITCHBOARD_MASTER_KEY`).
    public init(base64 text: String) throws(CryptoFailure) {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw .invalidKeyEncoding
        }
        try self.init(SymmetricKey(data: data))
    }

    /// The key as base64 text, for writing the key file.
    public var base64: String {
        key.withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// A value that identifies this key without revealing it; stored in the directory so that starting with the
    /// wrong master key fails with a clear message instead of undecryptable data.
    public var checkValue: Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data("switchboard master key check v1".utf8), using: key))
    }

    /// Seals `secret` for one purpose of one resource.
    public func wrap(_ secret: SymmetricKey, purpose: KeyPurpose, resourceID: UUID) throws -> Data {
        let plaintext = secret.withUnsafeBytes { Data($0) }
        let box = try AES.GCM.seal(plaintext, using: key, authenticating: Self.context(purpose, resourceID))
        return Data([Self.formatVersion]) + box.combined!
    }

    /// Opens a key sealed by ``wrap(_:purpose:resourceID:)`` for the same purpose and resource.
    public func unwrap(_ sealed: Data, purpose: KeyPurpose, resourceID: UUID) throws(CryptoFailure) -> SymmetricKey {
        guard sealed.first == Self.formatVersion else { throw .unsupportedFormat }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.dropFirst())
            let plaintext = try AES.GCM.open(box, using: key, authenticating: Self.context(purpose, resourceID))
            return SymmetricKey(data: plaintext)
        } catch {
            throw .authenticationFailed
        }
    }

    static let formatVersion: UInt8 = 1

    static func context(_ purpose: KeyPurpose, _ resourceID: UUID) -> Data {
        Data("switchboard:\(purpose.rawValue):\(resourceID.uuidString.lowercased())".utf8)
    }
}

/// What a wrapped resource key is for; part of the authenticated data of its wrapping.
public enum KeyPurpose: String, Sendable {
    case primaryAccessKey = "access-key-primary"
    case secondaryAccessKey = "access-key-secondary"
    case dataKey = "data-key"
    case tokenSigningKey = "token-signing-key"
}

/// Failures of the cryptographic helpers. Messages never include key material.
public enum CryptoFailure: Error, Equatable, CustomStringConvertible, Sendable {
    case invalidKeyLength
    case invalidKeyEncoding
    case unsupportedFormat
    case authenticationFailed

    public var description: String {
        switch self {
        case .invalidKeyLength: "the key must be 256 bits (32 bytes)"
        case .invalidKeyEncoding: "the key is not valid base64"
        case .unsupportedFormat: "the sealed value has an unknown format"
        case .authenticationFailed: "the sealed value does not authenticate with this key"
        }
    }
}
