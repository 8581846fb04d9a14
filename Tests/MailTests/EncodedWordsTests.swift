import Mail
import Testing

@Suite("RFC 2047 encoded words")
struct EncodedWordsTests {
    /// RFC 2047 §8's examples, and the variations real mail adds (case, charsets, language tags).
    @Test(arguments: [
        ("=?ISO-8859-1?Q?a?=", "a"),
        ("=?ISO-8859-1?Q?a?= b", "a b"),
        ("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=", "ab"),
        ("=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=", "ab"),
        ("=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=", "ab"),
        ("=?ISO-8859-1?Q?a_b?=", "a b"),
        ("=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=", "a b"),
        ("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("=?ISO-8859-1?Q?Andr=E9?= Pirard", "André Pirard"),
        ("=?utf-8?B?SsO2cmcgTcO8bGxlcg==?=", "Jörg Müller"),
        ("=?UTF-8?b?SsO2cmc=?=", "Jörg"),
        ("=?utf-8?q?Gr=c3=bc=C3=9Fe?=", "Grüße"),
        ("=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore"),
        ("=?windows-1252?Q?=80_5?=", "€ 5"),
        ("Re: =?utf-8?B?8J+YgA==?= ok", "Re: 😀 ok"),
    ])
    func decodes(_ encoded: String, _ expected: String) {
        #expect(EncodedWords.decode(encoded) == expected)
    }

    /// Anything that is not a well-formed word in a known charset is left exactly as it is.
    @Test(arguments: [
        "=?utf-8?X?abc?=", "=?no-such-charset?Q?abc?=", "=?utf-8?Q?a b?=", "=?utf-8?B?", "plain text", "a =? b ?= c",
        "=?utf-8?B?/w==?=",
    ])
    func leavesMalformedWordsAlone(_ text: String) {
        #expect(EncodedWords.decode(text) == text)
    }

    @Test(arguments: [
        "Jörg", "Grüße aus Köln – bis bald!", "王小明的季度报告，请查收附件。", "😀👩‍👩‍👧‍👦🇺🇳 emoji families and flags",
        String(repeating: "Ünïcödé ", count: 40), String(repeating: "👩‍👩‍👧‍👦", count: 12), "=?utf-8?Q?looks_encoded?=",
    ])
    func encodesWordsThatDecodeBack(_ text: String) throws {
        let words = EncodedWords.encode(text)
        #expect(!words.isEmpty)
        for word in words {
            #expect(word.utf8.count <= EncodedWords.maximumWordLength)
            #expect(word.hasPrefix("=?utf-8?B?") && word.hasSuffix("?="))
            // Each word holds whole UTF-8 sequences: it decodes on its own.
            let decoded = EncodedWords.decode(word)
            #expect(decoded != word)
        }
        #expect(EncodedWords.decode(words.joined(separator: " ")) == text)
        #expect(EncodedWords.decode(words.joined(separator: "\r\n ")) == text)
    }

    @Test func respectsTheFirstWordsRoom() throws {
        let words = EncodedWords.encode(String(repeating: "é", count: 60), firstWordLength: 40)
        #expect(try #require(words.first).utf8.count <= 40)
        #expect(words.dropFirst().allSatisfy { $0.utf8.count <= 75 })
    }

    @Test func encodedSubjectsRoundTripThroughAMessage() throws {
        let subject = "Rechnung für März – 请查收 😀 " + String(repeating: "sehr lange Betreffzeile ", count: 8)
        let rendered = try sampleMessage(subject: subject).render()
        let subjectLines = rendered.headerLines.drop { !$0.hasPrefix("Subject:") }.prefix { $0.hasPrefix("Subject:") || $0.hasPrefix(" ") }
        #expect(subjectLines.count > 1)
        #expect(subjectLines.allSatisfy { $0.utf8.count <= 78 && isASCII($0) })
        #expect(MailParser.parse(rendered).subject == subject)
    }
}

private func isASCII(_ text: String) -> Bool { text.utf8.allSatisfy { $0 < 0x80 } }
