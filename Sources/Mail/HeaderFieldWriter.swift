/// Writes header fields: sanitized against injection, non-ASCII text as RFC 2047 encoded words,
/// folded at whitespace so that lines stay within 78 octets where the content allows.
enum HeaderFieldWriter {
    static let preferredLineLength = 78

    /// Replaces CR, LF and other control characters (except HTAB) with a space, so that a value can
    /// never end the header field it is written into, and drops NULs.
    static func sanitize(_ value: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in value.unicodeScalars where scalar != "\0" {
            scalars.append(scalar.value < 0x20 && scalar != "\t" || scalar.value == 0x7F ? " " : scalar)
        }
        return String(scalars)
    }

    /// Whether `name` is a valid field-name: printable ASCII without a colon (RFC 5322 §3.6.8).
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 >= 33 && $0 <= 126 && $0 != ASCII.colon }
    }

    /// An unstructured field (Subject, Comments, extension fields): text that is not plain ASCII, or
    /// that holds something looking like an encoded word, or a word too long to fold, is encoded.
    static func unstructured(name: String, text: String) -> [UInt8] {
        let clean = sanitize(text)
        let longestWord = clean.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(\.utf8.count).max() ?? 0
        let needsEncoding = !ASCII.isASCII(clean.utf8) || clean.contains("=?") || longestWord > 900
        guard needsEncoding else { return field(name: name, value: clean) }
        let firstRoom = preferredLineLength - name.utf8.count - 2
        return field(name: name, value: EncodedWords.encode(clean, firstWordLength: firstRoom).joined(separator: " "))
    }

    /// A field whose value is already valid field text: sanitized and folded at spaces.
    static func field(name: String, value: String) -> [UInt8] {
        var output: [UInt8] = Array(name.utf8) + [ASCII.colon]
        var lineLength = output.count
        var lineHasWord = false
        for token in sanitize(value).split(separator: " ", omittingEmptySubsequences: false) {
            let piece = Array(token.utf8)
            // Fold before a word that would overflow the line, unless the line holds only the name.
            if !piece.isEmpty, lineHasWord, lineLength + 1 + piece.count > preferredLineLength {
                output.append(contentsOf: ASCII.crlf)
                lineLength = 0
            }
            if !piece.isEmpty { lineHasWord = true }
            output.append(ASCII.space)
            output.append(contentsOf: piece)
            lineLength += 1 + piece.count
        }
        output.append(contentsOf: ASCII.crlf)
        return output
    }

    /// An address-list field, folded between addresses (and between words of a display name).
    static func addressList(name: String, addresses: [MailAddress]) -> [UInt8] {
        field(name: name, value: addresses.map { $0.headerValue() }.joined(separator: ", "))
    }
}
