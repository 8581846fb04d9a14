/// Writes header fields: sanitized against injection, non-ASCII text as RFC 2047 encoded words,
/// folded at whitespace so that lines stay within 78 octets where the content allows.
enum HeaderFieldWriter {
    static let preferredLineLength = 78

    /// Replaces CR, LF and other control characters (except HTAB) with a space, so that a value can
    /// never end the header field it is written into, and drops NULs.
    static func sanitize(_ value: String) -> String {
        String(decoding: sanitizedBytes(value), as: UTF8.self)
    }

    /// ``sanitize(_:)`` as UTF-8. Control characters are ASCII, and an ASCII byte is never part of a longer UTF-8
    /// sequence, so the bytes are replaced one by one.
    static func sanitizedBytes(_ value: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(value.utf8.count)
        for byte in value.utf8 where byte != 0 {
            bytes.append(byte < 0x20 && byte != ASCII.tab || byte == 0x7F ? ASCII.space : byte)
        }
        return bytes
    }

    /// Whether `name` is a valid field-name: printable ASCII without a colon (RFC 5322 §3.6.8).
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 >= 33 && $0 <= 126 && $0 != ASCII.colon }
    }

    /// An unstructured field (Subject, Comments, extension fields): text that is not plain ASCII, or
    /// that holds something looking like an encoded word, or a word too long to fold, is encoded.
    static func unstructured(name: String, text: String) -> [UInt8] {
        let clean = sanitizedBytes(text)
        var needsEncoding = false
        var word = 0
        for (index, byte) in clean.enumerated() {
            if byte >= 0x80 || (byte == ASCII.equals && index + 1 < clean.count && clean[index + 1] == ASCII.questionMark) {
                needsEncoding = true
                break
            }
            word = byte == ASCII.space || byte == ASCII.tab ? 0 : word + 1
            if word > 900 {
                needsEncoding = true
                break
            }
        }
        guard needsEncoding else { return field(name: name, sanitized: clean) }
        let firstRoom = preferredLineLength - name.utf8.count - 2
        let encoded = EncodedWords.encode(String(decoding: clean, as: UTF8.self), firstWordLength: firstRoom).joined(separator: " ")
        return field(name: name, value: encoded)
    }

    /// A field whose value is already valid field text: sanitized and folded at spaces.
    static func field(name: String, value: String) -> [UInt8] {
        field(name: name, sanitized: sanitizedBytes(value))
    }

    /// ``field(name:value:)`` for a value already sanitized: words between single spaces, a fold (CRLF before the
    /// space) before a word that would take the line past 78 octets, unless the line holds only the name.
    private static func field(name: String, sanitized value: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(name.utf8.count + value.count + value.count / 32 + 4)
        output.append(contentsOf: name.utf8)
        output.append(ASCII.colon)
        var lineLength = output.count
        var lineHasWord = false
        var start = 0
        while start <= value.count {
            var end = start
            while end < value.count && value[end] != ASCII.space { end += 1 }
            let length = end - start
            if length > 0, lineHasWord, lineLength + 1 + length > preferredLineLength {
                output.append(contentsOf: ASCII.crlf)
                lineLength = 0
            }
            if length > 0 { lineHasWord = true }
            output.append(ASCII.space)
            output.append(contentsOf: value[start..<end])
            lineLength += 1 + length
            start = end + 1
        }
        output.append(contentsOf: ASCII.crlf)
        return output
    }

    /// An address-list field, folded between addresses (and between words of a display name).
    static func addressList(name: String, addresses: [MailAddress]) -> [UInt8] {
        field(name: name, value: addresses.map { $0.headerValue() }.joined(separator: ", "))
    }
}
