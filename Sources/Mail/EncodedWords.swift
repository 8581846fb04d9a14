/// RFC 2047 encoded words: non-ASCII text in header fields.
public enum EncodedWords {
    /// The longest an encoded word may be (RFC 2047 §2).
    public static let maximumWordLength = 75
    private static let prefix = "=?utf-8?B?"
    private static let suffix = "?="

    /// Encodes text as `=?utf-8?B?…?=` words, each at most 75 characters and each holding whole
    /// characters (a grapheme cluster is split between words only if it alone is too long, and
    /// then at a Unicode scalar boundary, never inside a UTF-8 sequence). `firstWordLength` caps
    /// the first word so that it fits after a header field's name on the first line.
    public static func encode(_ text: String, firstWordLength: Int = maximumWordLength) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        func capacity() -> Int {
            let length = words.isEmpty ? max(firstWordLength, 16) : maximumWordLength
            return (min(length, maximumWordLength) - prefix.count - suffix.count) / 4 * 3
        }
        func flush() {
            guard !chunk.isEmpty else { return }
            words.append(prefix + Base64Text.encode(chunk) + suffix)
            chunk = []
        }
        for character in text {
            let bytes = Array(character.utf8)
            if chunk.count + bytes.count <= capacity() {
                chunk += bytes
                continue
            }
            flush()
            if bytes.count <= capacity() {
                chunk = bytes
                continue
            }
            for scalar in character.unicodeScalars {
                let scalarBytes = Array(String(scalar).utf8)
                if chunk.count + scalarBytes.count > capacity() { flush() }
                chunk += scalarBytes
            }
        }
        flush()
        return words.isEmpty ? [prefix + suffix] : words
    }

    /// Decodes every well-formed encoded word in a header value (B or Q, any charset `Charset`
    /// knows, an RFC 2231 `*language` suffix allowed); whitespace between two adjacent encoded words
    /// is dropped. Anything malformed or in an unknown charset is left as it stands.
    public static func decode(_ value: String) -> String {
        let scalars = Array(value.unicodeScalars)
        var output = String.UnicodeScalarView()
        var pendingWhitespace = String.UnicodeScalarView()
        var previousWasWord = false
        var index = 0
        while index < scalars.count {
            if scalars[index] == "=", index + 1 < scalars.count, scalars[index + 1] == "?",
                let (decoded, end) = decodeWord(scalars, from: index)
            {
                if !previousWasWord { output.append(contentsOf: pendingWhitespace) }
                pendingWhitespace = String.UnicodeScalarView()
                output.append(contentsOf: decoded.unicodeScalars)
                previousWasWord = true
                index = end
                continue
            }
            let scalar = scalars[index]
            if scalar == " " || scalar == "\t" || scalar == "\r" || scalar == "\n" {
                pendingWhitespace.append(scalar)
            } else {
                output.append(contentsOf: pendingWhitespace)
                pendingWhitespace = String.UnicodeScalarView()
                output.append(scalar)
                previousWasWord = false
            }
            index += 1
        }
        output.append(contentsOf: pendingWhitespace)
        return String(output)
    }

    /// Decodes the encoded word starting at `start` (at its "=?"), returning the text and the index after "?=".
    private static func decodeWord(_ scalars: [Unicode.Scalar], from start: Int) -> (String, Int)? {
        var fields: [String] = []
        var current = ""
        var index = start + 2
        while index < scalars.count, index - start <= 512 {
            let scalar = scalars[index]
            if scalar == " " || scalar == "\t" || scalar == "\r" || scalar == "\n" || scalar.value > 0x7E { return nil }
            if scalar == "?" {
                if fields.count == 2, index + 1 < scalars.count, scalars[index + 1] == "=" {
                    fields.append(current)
                    guard let text = decodePayload(charset: fields[0], encoding: fields[1], text: fields[2]) else { return nil }
                    return (text, index + 2)
                }
                guard fields.count < 2 else { return nil }
                fields.append(current)
                current = ""
            } else {
                current.unicodeScalars.append(scalar)
            }
            index += 1
        }
        return nil
    }

    private static func decodePayload(charset rawCharset: String, encoding: String, text: String) -> String? {
        let charset = rawCharset.split(separator: "*", maxSplits: 1).first.map(String.init) ?? rawCharset
        let bytes: [UInt8]
        switch encoding {
        case "B", "b":
            bytes = Base64Lines.decode(text.utf8)
        case "Q", "q":
            var decoded: [UInt8] = []
            let raw = Array(text.utf8)
            var index = 0
            while index < raw.count {
                if raw[index] == 0x5F {
                    decoded.append(ASCII.space)
                } else if raw[index] == 0x3D, index + 2 < raw.count, let high = ASCII.hexValue(raw[index + 1]),
                    let low = ASCII.hexValue(raw[index + 2])
                {
                    decoded.append(high << 4 | low)
                    index += 2
                } else {
                    decoded.append(raw[index])
                }
                index += 1
            }
            bytes = decoded
        default:
            return nil
        }
        return Charset.decode(bytes, charset: charset)
    }
}
