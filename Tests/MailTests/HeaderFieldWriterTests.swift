import Testing
import TestSupport

@testable import Mail

/// The header writer works on UTF-8 bytes. These tests hold it to the rules it documents — control characters become
/// spaces, NULs go, words are folded before they would pass 78 octets, text that needs it is encoded — by comparing
/// it with a plain reading of those rules over characters, on generated values.
@Suite("Header fields: sanitizing and folding")
struct HeaderFieldWriterTests {
    /// The rules over Unicode scalars and `split`, as simply as they can be written.
    enum Reference {
        static func sanitize(_ value: String) -> String {
            var scalars = String.UnicodeScalarView()
            for scalar in value.unicodeScalars where scalar != "\0" {
                scalars.append(scalar.value < 0x20 && scalar != "\t" || scalar.value == 0x7F ? " " : scalar)
            }
            return String(scalars)
        }

        static func field(name: String, value: String) -> [UInt8] {
            var output = Array(name.utf8) + [0x3A]
            var lineLength = output.count
            var lineHasWord = false
            for token in sanitize(value).split(separator: " ", omittingEmptySubsequences: false) {
                let piece = Array(token.utf8)
                if !piece.isEmpty, lineHasWord, lineLength + 1 + piece.count > 78 {
                    output += [0x0D, 0x0A]
                    lineLength = 0
                }
                if !piece.isEmpty { lineHasWord = true }
                output += [0x20] + piece
                lineLength += 1 + piece.count
            }
            return output + [0x0D, 0x0A]
        }

        static func needsEncoding(_ text: String) -> Bool {
            let clean = sanitize(text)
            let longestWord = clean.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(\.utf8.count).max() ?? 0
            return !clean.utf8.allSatisfy { $0 < 0x80 } || clean.contains("=?") || longestWord > 900
        }
    }

    /// Values built from pieces that exercise every rule: spaces in runs, tabs, CR, LF, NUL, DEL, other controls,
    /// `=?`, non-ASCII letters, and words of every length up to past the encoding threshold.
    static func values(count: Int) -> [String] {
        var generator = SplitMix64(seed: 0x5EED_F1E1D)
        let pieces = [
            " ", "  ", "\t", "\r\n", "\n", "\r", "\0", "\u{7F}", "\u{1B}", "=?", "?=", "=", "?", "é", "用户", "a", "word", "x@y.z",
            "<a@b.c>,", "\"q\"",
        ]
        return (0..<count).map { _ in
            var value = ""
            for _ in 0..<Int(generator.next() % 40) {
                if generator.next() % 8 == 0 {
                    value += String(repeating: "w", count: Int(generator.next() % 120))
                } else {
                    value += pieces[Int(generator.next() % UInt64(pieces.count))]
                }
            }
            if generator.next() % 50 == 0 { value += String(repeating: "l", count: 895 + Int(generator.next() % 10)) }
            return value
        }
    }

    @Test func sanitizingMatchesTheRuleOverScalars() {
        for value in Self.values(count: 2_000) {
            #expect(HeaderFieldWriter.sanitize(value) == Reference.sanitize(value), "\(Array(value.utf8))")
        }
    }

    @Test func foldingMatchesTheRuleOverWords() {
        for value in Self.values(count: 2_000) {
            #expect(HeaderFieldWriter.field(name: "To", value: value) == Reference.field(name: "To", value: value), "\(Array(value.utf8))")
        }
    }

    @Test func unstructuredTextIsEncodedExactlyWhenTheRuleSaysSo() {
        var encoded = 0
        for value in Self.values(count: 2_000) {
            let rendered = HeaderFieldWriter.unstructured(name: "Subject", text: value)
            if Reference.needsEncoding(value) {
                encoded += 1
                let text = String(decoding: rendered, as: UTF8.self)
                #expect(rendered.allSatisfy { $0 < 0x80 }, "\(Array(value.utf8))")
                #expect(text.contains("=?utf-8?") || text.contains("=?UTF-8?"), "\(Array(value.utf8))")
            } else {
                #expect(rendered == Reference.field(name: "Subject", value: value), "\(Array(value.utf8))")
            }
        }
        // Both branches are exercised.
        #expect(encoded > 100 && encoded < 1_900)
    }
}
