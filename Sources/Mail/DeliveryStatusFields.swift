/// The lexical layer of a `message/delivery-status` body (RFC 3464 §2.1): groups of header-style
/// fields separated by blank lines, the first group per-message, each later one per-recipient.
enum DeliveryStatusFields {
    /// Splits the body into groups of unfolded fields. Line ends may be CRLF or LF; a line that
    /// holds only whitespace counts as blank; runs of blank lines count as one; a line that starts
    /// with whitespace continues the field before it; a line that is neither a field nor a
    /// continuation is skipped.
    static func groups(_ body: [UInt8]) -> [[MailHeaderField]] {
        var groups: [[MailHeaderField]] = []
        var current: [(name: String, value: [UInt8])] = []
        func close() {
            guard !current.isEmpty else { return }
            groups.append(current.map { MailHeaderField(name: $0.name, value: ASCII.trimmed(ASCII.string($0.value))) })
            current = []
        }
        for line in ASCII.lines(body[...]).lines {
            if line.allSatisfy({ ASCII.isWSP($0) || $0 == ASCII.cr }) {
                close()
            } else if let first = line.first, ASCII.isWSP(first) {
                if !current.isEmpty { current[current.count - 1].value += line.filter { $0 != ASCII.cr } }
            } else if let colon = line.firstIndex(of: ASCII.colon), colon > line.startIndex {
                let name = ASCII.trimmed(ASCII.string(line[..<colon]))
                guard !name.contains(" ") else { continue }
                current.append((name, Array(line[(colon + 1)...]).filter { $0 != ASCII.cr }))
            }
        }
        close()
        return groups
    }

    /// Removes RFC 5322 comments (parenthesised, nestable, `\`-escapes honoured, quoted strings
    /// left alone), then trims the result.
    static func withoutComments(_ text: String) -> String {
        var output = String.UnicodeScalarView()
        var depth = 0
        var inQuotes = false
        var escaped = false
        for scalar in text.unicodeScalars {
            if escaped {
                if depth == 0 { output.append(scalar) }
                escaped = false
            } else if scalar == "\\" && (inQuotes || depth > 0) {
                escaped = true
                if depth == 0 { output.append(scalar) }
            } else if scalar == "\"" && depth == 0 {
                inQuotes.toggle()
                output.append(scalar)
            } else if scalar == "(" && !inQuotes {
                depth += 1
            } else if scalar == ")" && !inQuotes && depth > 0 {
                depth -= 1
                // A comment separates what surrounds it, as whitespace would.
                if depth == 0 { output.append(" ") }
            } else if depth == 0 {
                output.append(scalar)
            }
        }
        return ASCII.trimmed(String(output))
    }

    /// Collapses every run of whitespace (what folding leaves behind) to one space, and trims.
    static func collapsingWhitespace(_ text: String) -> String {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }).joined(separator: " ")
    }

    /// Splits a `type; value` field such as `rfc822; jane@example.com` or `smtp; 550 5.1.1 …` at its
    /// first semicolon. The type is lowercased with comments removed; the value keeps its text.
    /// Without a semicolon the type is nil and the whole text is the value.
    static func typed(_ text: String) -> (type: String?, value: String) {
        guard let semicolon = text.firstIndex(of: ";") else { return (nil, ASCII.trimmed(text)) }
        let type = ASCII.lowercased(withoutComments(String(text[..<semicolon])))
        return (type.isEmpty ? nil : type, ASCII.trimmed(text[text.index(after: semicolon)...]))
    }

    /// An address value with comments, whitespace and one pair of enclosing angle brackets removed.
    static func address(_ text: String) -> String {
        var value = withoutComments(text)
        if value.hasPrefix("<"), value.hasSuffix(">"), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
        return ASCII.trimmed(value)
    }
}

extension [MailHeaderField] {
    /// The first field with this name whose value is not empty.
    func nonEmptyValue(_ name: String) -> String? {
        first { $0.hasName(name) && !$0.value.isEmpty }?.value
    }
}
