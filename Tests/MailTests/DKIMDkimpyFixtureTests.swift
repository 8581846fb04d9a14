import Foundation
import Mail
import Testing

/// Messages signed by dkimpy 1.1.8 (scripts/mail-interop/make_vectors.py writes them, and checks
/// each against dkimpy's own verifier): simple and relaxed canonicalization in all four
/// combinations, rsa-sha256 and ed25519-sha256, `l=`, and changes made after signing.
@Suite("DKIM: messages signed by dkimpy")
struct DKIMDkimpyFixtureTests {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        var file: String
        var expect: String
        var reason: String
        var note: String
        var testDescription: String { file }
    }

    struct KeyRecord: Decodable {
        var selector: String
        var domain: String
        var record: String
    }

    static let cases: [Case] = (try? Fixture.decode([Case].self, from: "dkimpy/manifest.json")) ?? []
    static let now = Date(timeIntervalSince1970: 1_700_000_060)

    @Test func theManifestIsThere() {
        #expect(Self.cases.count >= 20)
        #expect(Self.cases.contains { $0.expect == "fail" })
        #expect(Self.cases.contains { $0.file.contains("ed25519") })
    }

    @Test(arguments: cases)
    func verifiesLikeDkimpy(_ sample: Case) async throws {
        let keys = try Fixture.decode([KeyRecord].self, from: "dkimpy/keys.json")
        let dns = verifier(records: Dictionary(uniqueKeysWithValues: keys.map { ("\($0.selector)._domainkey.\($0.domain)", [$0.record]) }))
        let message = try Fixture.bytes("dkimpy/" + sample.file)
        let results = await dns.verify(message, now: Self.now)
        let result = try #require(results.first, "no DKIM-Signature found in \(sample.file)")
        #expect(results.count == 1)
        #expect(result.domain == "example.com")
        switch (sample.expect, result.status) {
        case ("pass", .pass):
            break
        case ("fail", .fail(let reason)):
            #expect(reason.contains(sample.reason), "\(sample.note): \(reason)")
        default:
            Issue.record("\(sample.file) (\(sample.note)): expected \(sample.expect), got \(result.status)")
        }
    }

    /// The same messages still verify when a transport has turned their line ends into bare LF.
    @Test(arguments: cases.filter { $0.expect == "pass" })
    func verifiesWithBareLineFeeds(_ sample: Case) async throws {
        let keys = try Fixture.decode([KeyRecord].self, from: "dkimpy/keys.json")
        let dns = verifier(records: Dictionary(uniqueKeysWithValues: keys.map { ("\($0.selector)._domainkey.\($0.domain)", [$0.record]) }))
        let message = try Fixture.bytes("dkimpy/" + sample.file).filter { $0 != 0x0D }
        #expect(await dns.verify(message, now: Self.now).first?.status == .pass)
    }
}
