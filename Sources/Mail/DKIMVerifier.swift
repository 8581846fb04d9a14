import Crypto
import Foundation
import _CryptoExtras

/// Verifies the DKIM signatures of a message (RFC 6376 §6; `rsa-sha256` per RFC 8301 and
/// `ed25519-sha256` per RFC 8463; simple and relaxed canonicalization).
public struct DKIMVerifier: Sendable {
    /// Looks up the TXT records at `selector._domainkey.domain`, each record's strings already
    /// joined. Return an empty array when the name does not exist; throw for a temporary failure.
    public typealias KeyLookup = @Sendable (_ selector: String, _ domain: String) async throws -> [String]

    /// More DKIM-Signature fields than this are reported as permerror without being evaluated.
    public static let maximumSignatures = 10

    private let keyLookup: KeyLookup

    /// A verifier that fetches key records with `keyLookup` (DNS TXT in production, a table in tests).
    public init(keyLookup: @escaping KeyLookup) {
        self.keyLookup = keyLookup
    }

    /// One result per DKIM-Signature field, in the order of the fields (topmost first). `now` is
    /// compared with `x=`. Line ends are treated as CRLF.
    public func verify(_ message: [UInt8], now: Date) async -> [DKIMVerificationResult] {
        let bytes = ASCII.normalizingLineEndings(message)
        let (fields, body) = RawMessage.split(bytes[...])
        var results: [DKIMVerificationResult] = []
        for field in fields where ASCII.lowercased(field.name) == "dkim-signature" {
            guard results.count < Self.maximumSignatures else {
                results.append(DKIMVerificationResult(domain: "", selector: "", status: .permerror("too many signatures")))
                continue
            }
            results.append(await verify(field, fields: fields, bytes: bytes, body: Array(body), now: now))
        }
        return results
    }

    private func verify(
        _ field: RawHeaderField, fields: [RawHeaderField], bytes: [UInt8], body: [UInt8], now: Date
    ) async -> DKIMVerificationResult {
        let signature: DKIMSignatureFields
        do {
            signature = try DKIMSignatureFields(parsing: RawMessage.value(of: field, in: bytes[...]), now: now)
        } catch let failure {
            return failure.result
        }
        var result = DKIMVerificationResult(
            domain: signature.domain, selector: signature.selector, status: .pass, signedHeaders: signature.signedHeaders,
            bodyLength: signature.bodyLength)

        let key: DKIMKeyRecord
        switch await fetchKey(signature) {
        case .success(let record): key = record
        case .failure(let failure):
            result.status = failure.result.status
            return result
        }

        var canonicalBody = signature.bodyCanonicalization.canonicalizeBody(body)
        if let length = signature.bodyLength {
            guard length <= canonicalBody.count else {
                result.status = .fail("l=\(length) is longer than the canonicalized body (\(canonicalBody.count) octets)")
                return result
            }
            canonicalBody = Array(canonicalBody[..<length])
        }
        if DKIMHashing.sha256(canonicalBody) != signature.bodyHash {
            result.status = key.isTesting ? .neutral : .fail("body hash did not verify")
            return result
        }
        let data =
            DKIMHashing.headerHashInput(
                fields: fields, in: bytes[...], signedNames: signature.signedHeaders, canonicalization: signature.headerCanonicalization)
            + DKIMHashing.signatureFieldInput(Array(bytes[field.range]), canonicalization: signature.headerCanonicalization)
        let digest = SHA256.hash(data: data)
        let valid: Bool
        switch signature.algorithm {
        case .rsaSHA256:
            guard let publicKey = try? _RSA.Signing.PublicKey(unsafeDERRepresentation: key.publicKey) else {
                result.status = .permerror("the key record's p= is not an RSA public key")
                return result
            }
            guard publicKey.keySizeInBits >= 1024 else {
                result.status = .permerror("RSA keys shorter than 1024 bits are not accepted (RFC 8301)")
                return result
            }
            valid = publicKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature.signature), for: digest, padding: .insecurePKCS1v1_5)
        case .ed25519SHA256:
            guard let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key.publicKey) else {
                result.status = .permerror("the key record's p= is not an Ed25519 public key")
                return result
            }
            valid = publicKey.isValidSignature(signature.signature, for: Data(digest))
        }
        if !valid { result.status = key.isTesting ? .neutral : .fail("signature did not verify") }
        return result
    }

    private func fetchKey(_ signature: DKIMSignatureFields) async -> Result<DKIMKeyRecord, DKIMVerificationFailure> {
        let records: [String]
        do {
            records = try await keyLookup(signature.selector, signature.domain)
        } catch {
            return .failure(.temperror("key lookup for \(signature.selector)._domainkey.\(signature.domain) failed: \(error)"))
        }
        var lastProblem = "no key record at \(signature.selector)._domainkey.\(signature.domain)"
        for text in records {
            do {
                let record = try DKIMKeyRecord(parsing: text)
                if record.isRevoked { return .failure(.permerror("the key has been revoked (empty p=)")) }
                let expectedType = signature.algorithm == .rsaSHA256 ? "rsa" : "ed25519"
                guard record.keyType == expectedType else {
                    return .failure(.permerror("key type k=\(record.keyType) does not match a=\(signature.algorithm.rawValue)"))
                }
                if let hashes = record.hashAlgorithms, !hashes.contains("sha256") {
                    return .failure(.permerror("the key's h= does not allow sha256"))
                }
                guard record.serviceTypes.contains("*") || record.serviceTypes.contains("email") else {
                    return .failure(.permerror("the key's s= does not allow email"))
                }
                if record.flags.contains("s"), let identity = signature.identityDomain, identity != signature.domain {
                    return .failure(.permerror("the key's t=s forbids the subdomain identity \(identity)"))
                }
                return .success(record)
            } catch {
                lastProblem = error.description
            }
        }
        return .failure(.permerror(lastProblem))
    }
}

/// A verification that stopped early, carrying its result.
struct DKIMVerificationFailure: Error {
    var result: DKIMVerificationResult

    static func permerror(_ reason: String, domain: String = "", selector: String = "") -> DKIMVerificationFailure {
        DKIMVerificationFailure(result: DKIMVerificationResult(domain: domain, selector: selector, status: .permerror(reason)))
    }

    static func temperror(_ reason: String) -> DKIMVerificationFailure {
        DKIMVerificationFailure(result: DKIMVerificationResult(domain: "", selector: "", status: .temperror(reason)))
    }
}
