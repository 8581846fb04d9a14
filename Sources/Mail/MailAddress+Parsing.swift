extension MailAddress {
    /// Parses an address-list header value (`From`, `To`, `Cc`, `Reply-To`, …) leniently: mailboxes
    /// as `Name <addr>` or bare addr-specs, quoted names, comments, RFC 2047 encoded display names and
    /// groups (`team: a@b, c@d;`, whose members are returned). Entries that are not valid addresses are skipped.
    public static func parseList(_ value: String) -> [MailAddress] {
        var addresses: [MailAddress] = []
        for entry in splitEntries(value) {
            if let address = parseMailbox(entry) { addresses.append(address) }
        }
        return addresses
    }

    /// Splits on commas, colons (group names) and semicolons that are outside quotes, comments and angle brackets.
    private static func splitEntries(_ value: String) -> [String] {
        var entries: [String] = []
        var current = String.UnicodeScalarView()
        var inQuotes = false
        var commentDepth = 0
        var inAngle = false
        var escaped = false
        for scalar in value.unicodeScalars {
            if escaped {
                current.append(scalar)
                escaped = false
                continue
            }
            switch scalar {
            case "\\" where inQuotes || commentDepth > 0:
                escaped = true
                current.append(scalar)
            case "\"" where commentDepth == 0:
                inQuotes.toggle()
                current.append(scalar)
            case "(" where !inQuotes:
                commentDepth += 1
                current.append(scalar)
            case ")" where !inQuotes && commentDepth > 0:
                commentDepth -= 1
                current.append(scalar)
            case "<" where !inQuotes && commentDepth == 0:
                inAngle = true
                current.append(scalar)
            case ">" where !inQuotes && commentDepth == 0:
                inAngle = false
                current.append(scalar)
            case "," where !inQuotes && commentDepth == 0 && !inAngle, ";" where !inQuotes && commentDepth == 0 && !inAngle:
                entries.append(String(current))
                current = String.UnicodeScalarView()
            case ":" where !inQuotes && commentDepth == 0 && !inAngle:
                // A group's display name ends here; what follows are its members.
                current = String.UnicodeScalarView()
            default:
                current.append(scalar)
            }
        }
        entries.append(String(current))
        return entries
    }

    private static func parseMailbox(_ rawEntry: String) -> MailAddress? {
        let entry = ASCII.trimmed(rawEntry)
        guard !entry.isEmpty else { return nil }
        if let open = entry.lastIndex(of: "<"), let close = entry[open...].firstIndex(of: ">") {
            let addrSpec = stripComments(String(entry[entry.index(after: open)..<close]))
            // An obsolete route ("@a,@b:user@c") keeps only the final address.
            let spec = addrSpec.split(separator: ":").last.map(String.init) ?? addrSpec
            let name = displayText(String(entry[..<open]))
            return try? MailAddress(ASCII.trimmed(spec), displayName: name.isEmpty ? nil : name)
        }
        var comment = ""
        let spec = stripComments(entry, comment: &comment)
        let name = ASCII.trimmed(EncodedWords.decode(comment))
        return try? MailAddress(ASCII.trimmed(spec), displayName: name.isEmpty ? nil : name)
    }

    private static func stripComments(_ text: String) -> String {
        var ignored = ""
        return stripComments(text, comment: &ignored)
    }

    /// Removes comments (keeping quoted strings intact) and whitespace outside quotes; the text of the
    /// first comment goes to `comment` (an old-style display name, `user@host (Name)`).
    private static func stripComments(_ text: String, comment: inout String) -> String {
        var output = String.UnicodeScalarView()
        var depth = 0
        var inQuotes = false
        var escaped = false
        var firstComment = String.UnicodeScalarView()
        var sawComment = false
        for scalar in text.unicodeScalars {
            if escaped {
                if depth > 0 { firstComment.append(scalar) } else { output.append(scalar) }
                escaped = false
                continue
            }
            if scalar == "\\" && (inQuotes || depth > 0) {
                escaped = true
                if depth == 0 { output.append(scalar) }
                continue
            }
            if !inQuotes && scalar == "(" {
                depth += 1
                continue
            }
            if !inQuotes && scalar == ")" && depth > 0 {
                depth -= 1
                if depth == 0 { sawComment = true }
                continue
            }
            if depth > 0 {
                if !sawComment { firstComment.append(scalar) }
                continue
            }
            if scalar == "\"" { inQuotes.toggle() }
            if !inQuotes && (scalar == " " || scalar == "\t" || scalar == "\r" || scalar == "\n") { continue }
            output.append(scalar)
        }
        comment = String(firstComment)
        return String(output)
    }

    /// The display name of a `phrase <addr>` mailbox: quotes removed, escapes undone, encoded words decoded.
    private static func displayText(_ phrase: String) -> String {
        var output = String.UnicodeScalarView()
        var inQuotes = false
        var escaped = false
        var depth = 0
        for scalar in phrase.unicodeScalars {
            if escaped {
                output.append(scalar)
                escaped = false
            } else if scalar == "\\" && (inQuotes || depth > 0) {
                escaped = true
            } else if scalar == "\"" && depth == 0 {
                inQuotes.toggle()
            } else if scalar == "(" && !inQuotes {
                depth += 1
            } else if scalar == ")" && !inQuotes && depth > 0 {
                depth -= 1
            } else if depth == 0 {
                output.append(scalar == "\r" || scalar == "\n" ? " " : scalar)
            }
        }
        return ASCII.trimmed(EncodedWords.decode(String(output)))
    }
}
