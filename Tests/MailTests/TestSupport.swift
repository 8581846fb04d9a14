import Crypto
import Foundation
import Mail
import Testing
import _CryptoExtras

/// Files under Tests/MailTests/Fixtures, copied into the test bundle as resources.
enum Fixture {
    static func url(_ path: String) throws -> URL {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil), "the Fixtures resource is missing")
        return root.appendingPathComponent(path)
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: url(path)))
    }

    static func decode<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(contentsOf: url(path)))
    }
}

/// One RSA key for the whole run: generating 2048-bit keys is slow, and every signing test can share it.
enum TestKeys {
    static let signing = DKIMKey.generate()
    static let other = DKIMKey.generate()
    static let record = DKIMKey.txtRecord(for: signing.publicKey)
}

extension Array where Element == UInt8 {
    /// The octets as text (the tests only look at UTF-8 content).
    var text: String { String(decoding: self, as: UTF8.self) }

    /// The lines, split on CRLF, without the line ends (a final empty piece is dropped).
    var crlfLines: [String] {
        var lines = text.components(separatedBy: "\r\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Whether every CR is followed by LF and every LF preceded by CR.
    var hasOnlyCRLFLineEnds: Bool {
        for index in indices {
            if self[index] == 0x0D, index + 1 >= count || self[index + 1] != 0x0A { return false }
            if self[index] == 0x0A, index == 0 || self[index - 1] != 0x0D { return false }
        }
        return true
    }

    /// The header section (up to the first empty line) as lines.
    var headerLines: [String] {
        [String](crlfLines.prefix { !$0.isEmpty })
    }
}

extension String {
    /// The string's octets with every line end made CRLF.
    var crlf: [UInt8] {
        Array(replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8)
    }
}

/// A verifier whose DNS holds exactly these TXT records, keyed by `selector._domainkey.domain`.
func verifier(records: [String: [String]]) -> DKIMVerifier {
    DKIMVerifier { selector, domain in records["\(selector)._domainkey.\(domain)"] ?? [] }
}

/// A message to sign and parse in several tests.
func sampleMessage(subject: String = "Quarterly report") throws -> MailMessage {
    MailMessage(
        from: try MailAddress("jane@example.com", displayName: "Jane Doe"), to: [try MailAddress("john@example.net")],
        cc: [try MailAddress("mary@example.org", displayName: "Mary Major")], subject: subject,
        date: Date(timeIntervalSince1970: 1_704_067_200), messageID: "report-1@example.com",
        plainText: "Hello John,\n\nThe report is attached.\n\n-- \nJane\n", html: "<p>Hello John,</p><p>The report is attached.</p>",
        attachments: [MailAttachment(name: "report.csv", contentType: "text/csv", data: Array("a,b\n1,2\n".utf8), contentID: nil)])
}
