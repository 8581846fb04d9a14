import Foundation

/// The tags of a DKIM-Signature field, checked as RFC 6376 §6.1.1 requires.
struct DKIMSignatureFields {
    enum Algorithm: String {
        case rsaSHA256 = "rsa-sha256"
        case ed25519SHA256 = "ed25519-sha256"
    }

    var domain: String
    var selector: String
    var algorithm: Algorithm
    var headerCanonicalization: DKIMCanonicalization
    var bodyCanonicalization: DKIMCanonicalization
    var signedHeaders: [String]
    var bodyHash: [UInt8]
    var signature: [UInt8]
    var bodyLength: Int?
    /// The domain part of `i=`, lowercased, when present.
    var identityDomain: String?

    init(parsing value: String, now: Date) throws(DKIMVerificationFailure) {
        let tags: DKIMTagList
        do {
            tags = try DKIMTagList(parsing: value)
        } catch {
            throw .permerror(error.description)
        }
        let signingDomain = ASCII.lowercased(tags["d"] ?? "")
        let signingSelector = tags["s"] ?? ""
        domain = signingDomain
        selector = signingSelector
        func fail(_ reason: String) -> DKIMVerificationFailure {
            .permerror(reason, domain: signingDomain, selector: signingSelector)
        }

        for required in ["v", "a", "b", "bh", "d", "h", "s"] where tags[required] == nil {
            throw fail("the required tag \(required)= is missing")
        }
        guard tags["v"] == "1" else { throw fail("unsupported version v=\(tags["v"] ?? "")") }
        guard !signingDomain.isEmpty, !signingSelector.isEmpty else { throw fail("d= and s= must not be empty") }

        let algorithmName = ASCII.lowercased(tags["a"] ?? "")
        guard let algorithm = Algorithm(rawValue: algorithmName) else {
            if algorithmName == "rsa-sha1" { throw fail("a=rsa-sha1 is no longer accepted (RFC 8301)") }
            throw fail("unsupported algorithm a=\(algorithmName)")
        }
        self.algorithm = algorithm

        let canonicalization = ASCII.lowercased(tags["c"] ?? "simple/simple").split(separator: "/", omittingEmptySubsequences: false)
        guard canonicalization.count <= 2, let header = DKIMCanonicalization(rawValue: String(canonicalization[0])),
            let body = DKIMCanonicalization(rawValue: canonicalization.count == 2 ? String(canonicalization[1]) : "simple")
        else { throw fail("unsupported canonicalization c=\(tags["c"] ?? "")") }
        headerCanonicalization = header
        bodyCanonicalization = body

        let names = (tags["h"] ?? "").split(separator: ":").map { ASCII.lowercased(ASCII.trimmed($0)) }
        signedHeaders = names
        guard names.contains("from") else { throw fail("the From header field is not signed (h= lacks from)") }

        guard let bodyHash = Base64Lines.decodeStrict(tags["bh"] ?? ""), bodyHash.count == 32 else {
            throw fail("bh= is not a base64 SHA-256 hash")
        }
        self.bodyHash = bodyHash
        guard let signature = Base64Lines.decodeStrict(tags["b"] ?? ""), !signature.isEmpty else {
            throw fail("b= is not base64")
        }
        self.signature = signature

        if let length = tags["l"] {
            guard let value = Int(length), value >= 0, length.count <= 76 else { throw fail("l= is not a number") }
            bodyLength = value
        }
        if let identity = tags["i"] {
            guard let at = identity.lastIndex(of: "@") else { throw fail("i= has no '@'") }
            let identityDomain = ASCII.lowercased(String(identity[identity.index(after: at)...]))
            guard identityDomain == signingDomain || identityDomain.hasSuffix("." + signingDomain) else {
                throw fail("i= domain \(identityDomain) is not d= or a subdomain of it")
            }
            self.identityDomain = identityDomain
        }
        if let query = tags["q"], !query.split(separator: ":").contains(where: { ASCII.trimmed($0).hasPrefix("dns/txt") }) {
            throw fail("unsupported query method q=\(query)")
        }
        var timestamp: Int?
        if let t = tags["t"] {
            guard let value = Int(t) else { throw fail("t= is not a number") }
            timestamp = value
        }
        if let x = tags["x"] {
            guard let expiry = Int(x) else { throw fail("x= is not a number") }
            if let timestamp, expiry < timestamp { throw fail("x= is earlier than t=") }
            if Double(expiry) < now.timeIntervalSince1970 {
                throw DKIMVerificationFailure(
                    result: DKIMVerificationResult(
                        domain: signingDomain, selector: signingSelector, status: .fail("signature expired (x=\(expiry))"),
                        signedHeaders: names))
            }
        }
    }
}
