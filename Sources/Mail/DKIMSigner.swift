import Crypto
import Foundation
import _CryptoExtras

/// Signs messages with DKIM (RFC 6376): `a=rsa-sha256`, `c=relaxed/relaxed`.
public struct DKIMSigner: Sendable {
    /// The header fields signed by default (those present in a message are listed in `h=`).
    public static let defaultSignedHeaders = [
        "from", "sender", "to", "cc", "subject", "date", "message-id", "reply-to", "in-reply-to", "references", "mime-version",
        "content-type", "content-transfer-encoding", "list-unsubscribe", "list-unsubscribe-post",
    ]

    /// The signing domain (`d=`), lowercased.
    public let domain: String
    /// The selector (`s=`): the key is published at `selector._domainkey.domain`.
    public let selector: String
    /// The RSA private key.
    public let privateKey: _RSA.Signing.PrivateKey
    /// The header field names to sign when present.
    public let signedHeaders: [String]
    /// When set, signatures carry `x=` this many seconds after `t=`.
    public var signatureLifetime: TimeInterval?

    /// A signer for `domain` (`d=`) whose public key is published under `selector` (`s=`);
    /// `signedHeaders` are the field names to sign when a message has them.
    public init(
        domain: String, selector: String, privateKey: _RSA.Signing.PrivateKey, signedHeaders: [String] = DKIMSigner.defaultSignedHeaders
    ) {
        self.domain = ASCII.lowercased(domain)
        self.selector = selector
        self.privateKey = privateKey
        self.signedHeaders = signedHeaders.map(ASCII.lowercased)
    }

    /// The complete `DKIM-Signature:` header field, folded and ending in CRLF, for a message
    /// (bare LF line ends are treated as CRLF). Every signed field present is listed once per
    /// instance, and `from` once more so that a From field added later breaks the signature.
    public func signatureHeader(for message: [UInt8], timestamp: Date) throws -> String {
        try signatureField(for: ASCII.normalizingLineEndings(message), timestamp: timestamp)
    }

    /// The message (line ends normalized to CRLF) with the DKIM-Signature field prepended.
    public func sign(_ message: [UInt8], timestamp: Date) throws -> [UInt8] {
        let normalized = ASCII.normalizingLineEndings(message)
        return Array(try signatureField(for: normalized, timestamp: timestamp).utf8) + normalized
    }

    private func signatureField(for message: [UInt8], timestamp: Date) throws -> String {
        guard MIMEParameters.isToken(domain), !domain.contains(";"), MIMEParameters.isToken(selector) else {
            throw DKIMError.invalidConfiguration("domain and selector must be DNS names")
        }
        let (fields, body) = RawMessage.split(message[...])
        var names: [String] = []
        for name in signedHeaders where !names.contains(name) {
            let count = fields.filter { ASCII.lowercased($0.name) == name }.count
            names += Array(repeating: name, count: count)
            if name == "from" {
                guard count > 0 else { throw DKIMError.fromHeaderMissing }
                names.append(name)
            }
        }
        guard names.contains("from") else { throw DKIMError.fromHeaderMissing }
        let bodyHash = Base64Text.encode(DKIMHashing.sha256(DKIMCanonicalization.relaxed.canonicalizeBody(Array(body))))
        let seconds = Int(timestamp.timeIntervalSince1970.rounded(.down))
        var pieces: [(text: String, spaced: Bool)] = [
            ("v=1;", true), ("a=rsa-sha256;", true), ("c=relaxed/relaxed;", true), ("d=\(domain);", true),
            ("s=\(selector);", true), ("t=\(seconds);", true),
        ]
        if let signatureLifetime { pieces.append(("x=\(seconds + Int(signatureLifetime.rounded(.up)));", true)) }
        for (index, name) in names.enumerated() {
            let last = index == names.count - 1
            pieces.append(((index == 0 ? "h=" : "") + name + (last ? ";" : ":"), index == 0))
        }
        pieces.append(("bh=\(bodyHash);", true))
        let unsigned = Self.fold(pieces + [("b=", true)])
        let headerInput = DKIMHashing.headerHashInput(
            fields: fields, in: message[...], signedNames: names, canonicalization: .relaxed)
        let signedData =
            headerInput + DKIMHashing.signatureFieldInput(Array(unsigned.utf8.dropLast(2)), canonicalization: .relaxed)
        let signature: _RSA.Signing.RSASignature
        do {
            signature = try privateKey.signature(for: SHA256.hash(data: signedData), padding: .insecurePKCS1v1_5)
        } catch {
            throw DKIMError.signingFailed(String(describing: error))
        }
        let encoded = Base64Text.encode(signature.rawRepresentation)
        var signaturePieces: [(text: String, spaced: Bool)] = []
        var start = encoded.startIndex
        while start < encoded.endIndex {
            let end = encoded.index(start, offsetBy: 64, limitedBy: encoded.endIndex) ?? encoded.endIndex
            signaturePieces.append(((start == encoded.startIndex ? "b=" : "") + encoded[start..<end], start == encoded.startIndex))
            start = end
        }
        return Self.fold(pieces + signaturePieces)
    }

    /// Joins pieces after `DKIM-Signature:`, a space before the spaced ones, folding before a
    /// piece that would take the line past 78 octets. Ends with CRLF.
    static func fold(_ pieces: [(text: String, spaced: Bool)]) -> String {
        var output = "DKIM-Signature:"
        var lineLength = output.utf8.count
        for piece in pieces {
            let added = (piece.spaced ? 1 : 0) + piece.text.utf8.count
            if lineLength + added > HeaderFieldWriter.preferredLineLength {
                output += "\r\n " + piece.text
                lineLength = 1 + piece.text.utf8.count
            } else {
                output += (piece.spaced ? " " : "") + piece.text
                lineLength += added
            }
        }
        return output + "\r\n"
    }
}
