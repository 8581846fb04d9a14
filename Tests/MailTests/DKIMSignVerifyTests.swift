import Crypto
import Foundation
import Mail
import Testing
import _CryptoExtras

@Suite("DKIM signing and verification (RFC 6376)")
struct DKIMSignVerifyTests {
    static let now = Date(timeIntervalSince1970: 1_704_067_260)
    let signer = DKIMSigner(domain: "Example.COM", selector: "s2024", privateKey: TestKeys.signing)
    let dns = verifier(records: ["s2024._domainkey.example.com": [TestKeys.record]])

    func signed(_ message: [UInt8]? = nil) throws -> [UInt8] {
        try signer.sign(message ?? sampleMessage().render(), timestamp: Self.now)
    }

    @Test func signedMessagesVerify() async throws {
        let message = try signed()
        #expect(message.hasOnlyCRLFLineEnds)
        #expect(message.text.hasPrefix("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s2024;"))
        #expect(message.headerLines.allSatisfy { $0.utf8.count <= 78 })
        let results = await dns.verify(message, now: Self.now)
        let result = try #require(results.first)
        #expect(results.count == 1)
        #expect(result.status == .pass)
        #expect(result.passed)
        #expect(result.domain == "example.com")
        #expect(result.selector == "s2024")
        #expect(result.signedHeaders.filter { $0 == "from" }.count == 2)
        #expect(Set(result.signedHeaders).isSuperset(of: ["to", "cc", "subject", "date", "message-id", "mime-version", "content-type"]))
    }

    @Test func theHeaderAloneSignsTheSameMessage() async throws {
        let message = try sampleMessage().render()
        let header = try signer.signatureHeader(for: message, timestamp: Self.now)
        #expect(header.hasSuffix("\r\n"))
        #expect(Array(header.utf8) + message == (try signed(message)))
    }

    @Test func bareLineFeedsAreSignedAsCRLF() async throws {
        let raw = "From: jane@example.com\nTo: john@example.net\nSubject: lf\n\nbody line\n"
        let message = try signed(Array(raw.utf8))
        #expect(message.hasOnlyCRLFLineEnds)
        #expect(await dns.verify(message, now: Self.now).map(\.status) == [.pass])
    }

    /// Relaxed canonicalization lets transit refold headers and change whitespace.
    @Test func survivesHarmlessTransitChanges() async throws {
        var text = try signed().text
        text = text.replacingOccurrences(of: "Subject: Quarterly report", with: "subject:   Quarterly\r\n\treport  ")
        text = text.replacingOccurrences(of: "Hello John,\r\n", with: "Hello   John,\t\r\n")
        text = "Received: from relay.example.net by mx.example.org; Mon, 1 Jan 2024 00:01:00 +0000\r\n" + text
        #expect(await dns.verify(Array(text.utf8), now: Self.now).map(\.status) == [.pass])
    }

    @Test func aTamperedBodyFailsItsBodyHash() async throws {
        let tampered = try signed().text.replacingOccurrences(of: "The report is attached.", with: "The report is NOT attached.")
        let status = try #require(await dns.verify(Array(tampered.utf8), now: Self.now).first?.status)
        guard case .fail(let reason) = status else {
            Issue.record("expected fail, got \(status)")
            return
        }
        #expect(reason.contains("body hash"))
    }

    @Test(arguments: [
        ("Subject: Quarterly report", "Subject: Quarterly bonus"),
        ("To: john@example.net", "To: eve@example.net"),
        ("Date: ", "Date: Tue, 02 Jan 2024 00:00:00 +0000\r\nX-Old-Date: "),
    ])
    func aTamperedSignedHeaderFails(_ original: String, _ replacement: String) async throws {
        let tampered = try signed().text.replacingOccurrences(of: original, with: replacement)
        let status = try #require(await dns.verify(Array(tampered.utf8), now: Self.now).first?.status)
        #expect(status == .fail("signature did not verify"))
    }

    /// Every From is signed, and once more, so a From added in transit breaks the signature.
    @Test func anAddedFromFails() async throws {
        let message = Array("From: Evil <evil@example.net>\r\n".utf8) + (try signed())
        #expect(await dns.verify(message, now: Self.now).first?.status == .fail("signature did not verify"))
    }

    @Test func theWrongKeyFails() async throws {
        let wrong = verifier(records: ["s2024._domainkey.example.com": [DKIMKey.txtRecord(for: TestKeys.other.publicKey)]])
        #expect(await wrong.verify(try signed(), now: Self.now).first?.status == .fail("signature did not verify"))
    }

    @Test func aMissingKeyIsAPermanentError() async throws {
        let status = try #require(await verifier(records: [:]).verify(try signed(), now: Self.now).first?.status)
        guard case .permerror(let reason) = status else {
            Issue.record("expected permerror, got \(status)")
            return
        }
        #expect(reason.contains("s2024._domainkey.example.com"))
    }

    @Test func aFailedLookupIsATemporaryError() async throws {
        struct Timeout: Error {}
        let failing = DKIMVerifier { _, _ in throw Timeout() }
        let status = try #require(await failing.verify(try signed(), now: Self.now).first?.status)
        guard case .temperror = status else {
            Issue.record("expected temperror, got \(status)")
            return
        }
    }

    @Test(arguments: [
        "v=DKIM1; k=rsa; p=",
        "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        "v=DKIM1; k=rsa; h=sha1; p=" + TestKeys.record.components(separatedBy: "p=")[1],
        "v=DKIM1; k=rsa; s=other; p=" + TestKeys.record.components(separatedBy: "p=")[1],
        "v=DKIM2; p=abc",
        "k=rsa; p=!!!",
        "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOC",
    ])
    func unusableKeyRecordsArePermanentErrors(_ record: String) async throws {
        let dns = verifier(records: ["s2024._domainkey.example.com": [record]])
        let status = try #require(await dns.verify(try signed(), now: Self.now).first?.status)
        guard case .permerror = status else {
            Issue.record("expected permerror for \(record), got \(status)")
            return
        }
    }

    @Test func aTestingKeyMakesFailuresNeutral() async throws {
        let dns = verifier(records: ["s2024._domainkey.example.com": [TestKeys.record.replacingOccurrences(of: "k=rsa;", with: "k=rsa; t=y;")]])
        let tampered = try signed().text.replacingOccurrences(of: "Quarterly report", with: "Quarterly bonus")
        #expect(await dns.verify(Array(tampered.utf8), now: Self.now).first?.status == .neutral)
    }

    @Test func expiredSignaturesFail() async throws {
        var expiring = signer
        expiring.signatureLifetime = 3600
        let message = try expiring.sign(try sampleMessage().render(), timestamp: Self.now)
        #expect(message.text.contains("x=\(Int(Self.now.timeIntervalSince1970) + 3600);"))
        #expect(await dns.verify(message, now: Self.now.addingTimeInterval(60)).first?.status == .pass)
        let late = try #require(await dns.verify(message, now: Self.now.addingTimeInterval(7200)).first?.status)
        guard case .fail(let reason) = late else {
            Issue.record("expected fail, got \(late)")
            return
        }
        #expect(reason.contains("expired"))
    }

    @Test(arguments: [
        (#"bh=[^;]*;"#, ""),
        ("a=rsa-sha256", "a=rsa-sha1"),
        ("v=1;", "v=2;"),
        ("d=example.com;", "d=example.com; i=jane@example.net;"),
        (#"h=[^;]*;"#, "h=to:subject;"),
        (#"s=s2024;"#, ""),
    ])
    func malformedSignaturesArePermanentErrors(_ pattern: String, _ replacement: String) async throws {
        let broken = try signed().text.replacing(try Regex(pattern), with: replacement, maxReplacements: 1)
        let status = try #require(await dns.verify(Array(broken.utf8), now: Self.now).first?.status)
        guard case .permerror = status else {
            Issue.record("expected permerror after replacing \(pattern), got \(status)")
            return
        }
    }

    @Test func unsignedMessagesHaveNoResults() async throws {
        #expect(await dns.verify(try sampleMessage().render(), now: Self.now).isEmpty)
    }

    @Test func signingRequiresAFromField() throws {
        #expect(throws: DKIMError.fromHeaderMissing) {
            try signer.sign(Array("To: john@example.net\r\n\r\nbody\r\n".utf8), timestamp: Self.now)
        }
        #expect(throws: DKIMError.self) {
            try DKIMSigner(domain: "exa mple.com", selector: "s", privateKey: TestKeys.signing).sign(try signed(), timestamp: Self.now)
        }
    }
}
