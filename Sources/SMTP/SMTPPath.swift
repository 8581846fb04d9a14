/// A reverse-path or forward-path as written in MAIL FROM and RCPT TO (RFC 5321 §4.1.2):
/// `<local@domain>`, the null reverse-path `<>`, or the special recipient `<Postmaster>`.
public enum SMTPPath: Sendable, Hashable, CustomStringConvertible {
    /// `<>`: the null reverse-path used for delivery status notifications.
    case null
    /// `<mailbox>`.
    case mailbox(SMTPMailbox)
    /// `<Postmaster>` without a domain, which RCPT TO must accept (RFC 5321 §4.5.1).
    case postmaster

    /// The path with its angle brackets.
    public var formatted: String { "<\(address)>" }

    /// The path without angle brackets: `""` for the null path, `Postmaster`, or the mailbox.
    public var address: String {
        switch self {
        case .null: ""
        case .mailbox(let mailbox): mailbox.formatted
        case .postmaster: "Postmaster"
        }
    }

    /// The path with its angle brackets.
    public var description: String { formatted }

    /// Parses a path at the start of a MAIL or RCPT argument, after `FROM:` or `TO:`.
    ///
    /// Liberal where it is safe: spaces before `<` are skipped (`MAIL FROM: <a@b>`) and a source
    /// route (`<@relay:a@b>`) is accepted and ignored. Paths without angle brackets, with control
    /// characters, or with a malformed mailbox are rejected.
    /// - Returns: the path and the text after it (its ESMTP parameters, leading spaces removed),
    ///   or `nil` on a syntax error.
    public static func parse(_ argument: Substring) -> (path: SMTPPath, parameters: Substring)? {
        let text = argument.drop { $0 == " " }
        guard text.first == "<" else { return nil }
        var inQuotes = false
        var escaped = false
        var closing: Substring.Index?
        for index in text.indices.dropFirst() {
            let character = text[index]
            if character.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return nil }
            if escaped {
                escaped = false
            } else if inQuotes && character == "\\" {
                escaped = true
            } else if character == "\"" {
                inQuotes.toggle()
            } else if character == ">" && !inQuotes {
                closing = index
                break
            }
        }
        guard let closing else { return nil }
        var inner = text[text.index(after: text.startIndex)..<closing]
        let rest = text[text.index(after: closing)...]
        guard rest.isEmpty || rest.first == " " else { return nil }
        let parameters = rest.drop { $0 == " " }
        if inner.isEmpty { return (.null, parameters) }
        if inner.first == "@" {
            guard let colon = inner.firstIndex(of: ":") else { return nil }
            inner = inner[inner.index(after: colon)...]
        }
        if inner.lowercased() == "postmaster" { return (.postmaster, parameters) }
        guard let mailbox = parseMailbox(inner) else { return nil }
        return (.mailbox(mailbox), parameters)
    }

    private static func parseMailbox(_ text: Substring) -> SMTPMailbox? {
        guard let at = text.lastIndex(of: "@") else { return nil }
        let local = text[..<at]
        let domain = String(text[text.index(after: at)...])
        let localPart: String
        if local.first == "\"" {
            guard local.count >= 2, local.last == "\"", let unquoted = SMTPMailbox.unquote(local) else { return nil }
            localPart = unquoted
        } else {
            guard SMTPMailbox.isDotString(local) else { return nil }
            localPart = String(local)
        }
        return try? SMTPMailbox(localPart: localPart, domain: domain)
    }
}
