import Foundation
import Testing

@testable import Switchboard

/// The link scanner engagement tracking rewrites links with finds exactly what the pattern
/// `href\s*=\s*(["'])(https?://[^"'<>\s]+)\1` (case-insensitive) finds, on written and on generated markup.
@Suite struct EmailTrackingScanTests {
    static func scanned(_ html: String) -> [String] {
        let bytes = Array(html.utf8)
        var found: [String] = []
        var index = 0
        while let link = EmailTracking.nextLink(in: bytes, from: index) {
            found.append(String(decoding: bytes[link.start..<link.end], as: UTF8.self))
            index = link.end
        }
        return found
    }

    static func matched(_ html: String) -> [String] {
        html.matches(of: #/(?i)href\s*=\s*(["'])(https?://[^"'<>\s]+)\1/#).map { String(html[$0.range]) }
    }

    static let written = [
        #"<a href="https://example.com/a?b=1&amp;c=2">x</a>"#, #"<a HREF = 'HTTP://Example.com'>"#, #"<a href="mailto:x@y">"#,
        #"<a href="https://">"#, #"<a href="https://a b">"#, #"<a href="https://a'>"#, #"<a data-href="http://x.y/z">"#,
        #"<a href=https://unquoted>"#, #"href="http://one" href='https://two'"#, "<a href=\"https://ünïcode.example/ä\">", "hre",
        "<a\nhref\t=\n\"https://wrapped.example\">", #"<a href="https://x.example/<script>">"#, "",
    ]

    @Test(arguments: written)
    func findsWhatThePatternFinds(_ html: String) {
        #expect(Self.scanned(html) == Self.matched(html))
    }

    @Test func findsWhatThePatternFindsInGeneratedMarkup() {
        let pieces = ["href", "HREF", " ", "=", "\"", "'", "http://", "https://", "a.example", "/p", "<", ">", "&amp;", "\t", "x"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let html = (0..<Int.random(in: 1...14, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            #expect(Self.scanned(html) == Self.matched(html), "\(html)")
        }
    }
}
