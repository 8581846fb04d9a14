import Mail
import Testing

@Suite("DKIM canonicalization (RFC 6376 §3.4)")
struct DKIMCanonicalizationTests {
    /// The message of RFC 6376 §3.4.5, with <SP>, <HTAB> and <CRLF> spelled out.
    static let exampleHeaders: [[UInt8]] = [
        Array("A: X".utf8),
        Array("B : Y\t\r\n\tZ  ".utf8),
    ]
    static let exampleBody: [UInt8] = Array(" C \r\nD \t E\r\n\r\n\r\n".utf8)

    @Test func relaxedMatchesTheRFCExample() {
        let header = Self.exampleHeaders.flatMap { DKIMCanonicalization.relaxed.canonicalizeHeader($0) }
        #expect(header.text == "a:X\r\nb:Y Z\r\n")
        #expect(DKIMCanonicalization.relaxed.canonicalizeBody(Self.exampleBody).text == " C\r\nD E\r\n")
    }

    @Test func simpleMatchesTheRFCExample() {
        let header = Self.exampleHeaders.flatMap { DKIMCanonicalization.simple.canonicalizeHeader($0) }
        #expect(header.text == "A: X\r\nB : Y\t\r\n\tZ  \r\n")
        #expect(DKIMCanonicalization.simple.canonicalizeBody(Self.exampleBody).text == " C \r\nD \t E\r\n")
    }

    @Test func stringFormsAgree() {
        #expect(DKIMCanonicalization.relaxed.canonicalizeHeader(name: "SUBJect ", value: " AbC\r\n  def ") == "subject:AbC def\r\n")
        #expect(DKIMCanonicalization.relaxed.canonicalizeBody(" C \nD \t E\n\n") == " C\r\nD E\r\n")
    }

    /// RFC 6376 §3.4.3 and §3.4.4: what an empty body and trailing empty lines become.
    @Test(arguments: [
        ("", "\r\n", ""),
        ("\r\n", "\r\n", ""),
        ("\r\n\r\n\r\n", "\r\n", ""),
        ("abc", "abc\r\n", "abc\r\n"),
        ("abc\r\n\r\n", "abc\r\n", "abc\r\n"),
        ("  \r\n\t\r\n", "  \r\n\t\r\n", ""),
        ("a  b\t\tc  \r\n \r\nd", "a  b\t\tc  \r\n \r\nd\r\n", "a b c\r\n\r\nd\r\n"),
    ])
    func bodyEdgeCases(_ body: String, _ simple: String, _ relaxed: String) {
        #expect(DKIMCanonicalization.simple.canonicalizeBody(Array(body.utf8)).text == simple)
        #expect(DKIMCanonicalization.relaxed.canonicalizeBody(Array(body.utf8)).text == relaxed)
    }
}
