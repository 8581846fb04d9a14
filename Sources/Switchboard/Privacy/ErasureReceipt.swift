import Crypto
import Foundation

/// What an erasure did, as the resource signs it: which identifiers (as keyed hashes), what was erased in each
/// category with counts, when, in which resource and geography. Signed as a JWS (RFC 7515, compact serialization)
/// with the resource's Ed25519 key (`EdDSA`, RFC 8037), so any JOSE or Ed25519 library can check it against the
/// key at `GET {endpoint}/privacy/receiptKey`.
public struct ErasureReceipt: Codable, Sendable, Equatable {
    public struct Resource: Codable, Sendable, Equatable {
        public let id: String
        public let name: String
    }

    public struct Identifier: Codable, Sendable, Equatable {
        /// `communicationUser`, `phoneNumber` or `emailAddress`.
        public let kind: String
        /// HMAC-SHA256 of the normalised identifier under a key of the resource, base64url.
        public let hash: String
    }

    /// `switchboard.erasureReceipt/v1`.
    public let type: String
    /// The erasure's operation id.
    public let id: String
    public let resource: Resource
    public let geography: String
    public let requestedOn: String
    public let erasedOn: String
    public let identifiers: [Identifier]
    /// Category → kind of item → how many were erased or reduced.
    public let erased: [String: [String: Int]]
    /// How many times every category was swept (the second catches what was written during the first).
    public let passes: Int

    public static let type = "switchboard.erasureReceipt/v1"
}

/// The JWS form of a receipt, and its check.
public enum SignedReceipt {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case badSignature
        case wrongKey

        public var description: String {
            switch self {
            case .malformed(let reason): "the receipt is not a signed receipt: \(reason)"
            case .badSignature: "the signature does not match the receipt: it was altered or signed by another key"
            case .wrongKey: "the receipt names another key (kid) than the one given"
            }
        }
    }

    struct Header: Codable {
        let alg: String
        let kid: String
        let typ: String
    }

    static let mediaType = "switchboard-erasure-receipt+jws"

    /// `receipt` signed by `key`, as `header.payload.signature` (base64url, no padding).
    public static func sign(_ receipt: ErasureReceipt, with key: Curve25519.Signing.PrivateKey) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let header = try encoder.encode(Header(alg: "EdDSA", kid: ReceiptKey(key.publicKey).kid, typ: mediaType))
        let payload = try encoder.encode(receipt)
        let signingInput = Base64URL.encode(header) + "." + Base64URL.encode(payload)
        let signature = try key.signature(for: Data(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }

    /// The receipt in `jws` if `key` signed it.
    public static func verify(_ jws: String, key: ReceiptKey) throws(Failure) -> ErasureReceipt {
        guard let publicKey = key.publicKey else { throw .wrongKey }
        return try verify(jws, publicKey: publicKey)
    }

    /// The receipt in `jws` if `publicKey` signed it.
    public static func verify(_ jws: String, publicKey: Curve25519.Signing.PublicKey) throws(Failure) -> ErasureReceipt {
        let parts = jws.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformed("a JWS has three parts separated by dots") }
        guard let headerData = Base64URL.decode(parts[0]), let payload = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2])
        else { throw .malformed("a part is not base64url") }
        guard let header = try? JSONDecoder().decode(Header.self, from: headerData), header.alg == "EdDSA" else {
            throw .malformed("the header does not name the EdDSA algorithm")
        }
        guard header.kid == ReceiptKey(publicKey).kid else { throw .wrongKey }
        guard publicKey.isValidSignature(signature, for: Data("\(parts[0]).\(parts[1])".utf8)) else { throw .badSignature }
        guard let receipt = try? JSONDecoder().decode(ErasureReceipt.self, from: payload), receipt.type == ErasureReceipt.type else {
            throw .malformed("the payload is not an erasure receipt")
        }
        return receipt
    }
}

/// A resource's receipt key as a JSON Web Key (RFC 8037 `OKP`/`Ed25519`), with its RFC 7638 thumbprint as `kid`.
public struct ReceiptKey: Codable, Sendable, Equatable {
    public let kty: String
    public let crv: String
    public let x: String
    public let kid: String
    public let alg: String
    public let use: String

    public init(_ key: Curve25519.Signing.PublicKey) {
        let x = Base64URL.encode(key.rawRepresentation)
        // RFC 7638: the required members in lexicographic order, no whitespace.
        let thumbprint = SHA256.hash(data: Data("{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"\(x)\"}".utf8))
        self.kty = "OKP"
        self.crv = "Ed25519"
        self.x = x
        self.kid = Base64URL.encode(Data(thumbprint))
        self.alg = "EdDSA"
        self.use = "sig"
    }

    /// The Ed25519 public key itself.
    public var publicKey: Curve25519.Signing.PublicKey? {
        guard kty == "OKP", crv == "Ed25519", let raw = Base64URL.decode(x) else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
    }

    /// The key of a JWK (JSON) or of a bare base64url/base64 32-byte public key.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let raw: Data
        if trimmed.hasPrefix("{") {
            guard let jwk = try? JSONDecoder().decode(ReceiptKey.self, from: Data(trimmed.utf8)), let key = jwk.publicKey else { return nil }
            raw = key.rawRepresentation
        } else {
            guard let bytes = Base64URL.decode(trimmed) ?? Data(base64Encoded: trimmed), bytes.count == 32 else { return nil }
            raw = bytes
        }
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return nil }
        self.init(key)
    }
}
