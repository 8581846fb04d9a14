/// A mailbox `local-part@domain` as SMTP carries it (RFC 5321 §4.1.2, RFC 6531 for UTF-8).
///
/// `localPart` holds the semantic value (a Quoted-string's content, unescaped); `formatted`
/// quotes it again when it is not a valid Dot-string, so `john doe@example.test` and
/// `"john doe"@example.test` are the same mailbox and both format as `"john doe"@example.test`.
public struct SMTPMailbox: Sendable, Hashable, CustomStringConvertible {
    /// The local part, unquoted. Case is preserved: local parts are case sensitive.
    public let localPart: String
    /// The domain: dot-separated labels (A-labels or UTF-8 U-labels) or an address literal such
    /// as `[192.0.2.1]`.
    public let domain: String

    /// A mailbox from its parts.
    /// - Throws: `SMTPError.invalidAddress` when either part cannot be carried in a path.
    public init(localPart: String, domain: String) throws(SMTPError) {
        guard !localPart.isEmpty, Self.canQuote(localPart) else { throw .invalidAddress(localPart + "@" + domain) }
        guard Self.isValidDomain(domain) else { throw .invalidAddress(localPart + "@" + domain) }
        self.localPart = localPart
        self.domain = domain
    }

    /// Parses `local@domain`, where the local part may be a Quoted-string (`"a b"@example.test`)
    /// or raw text that is quoted on output. Angle brackets are not accepted here (see
    /// `SMTPPath`).
    /// - Throws: `SMTPError.invalidAddress`.
    public init(_ address: String) throws(SMTPError) {
        guard let at = address.lastIndex(of: "@") else { throw .invalidAddress(address) }
        let rawLocal = address[..<at]
        let domain = String(address[address.index(after: at)...])
        if rawLocal.hasPrefix("\""), rawLocal.count >= 2, rawLocal.hasSuffix("\"") {
            guard let unquoted = Self.unquote(rawLocal) else { throw .invalidAddress(address) }
            try self.init(localPart: unquoted, domain: domain)
        } else {
            try self.init(localPart: String(rawLocal), domain: domain)
        }
    }

    /// `local@domain` with the local part quoted when RFC 5321 requires it.
    public var formatted: String { Self.formatLocalPart(localPart) + "@" + domain }

    /// The mailbox as `formatted` writes it.
    public var description: String { formatted }

    /// Whether the mailbox has non-ASCII characters and so needs SMTPUTF8 (RFC 6531).
    public var requiresSMTPUTF8: Bool { !localPart.utf8.allSatisfy { $0 < 0x80 } || !domain.utf8.allSatisfy { $0 < 0x80 } }

    // MARK: Grammar

    static func isAtext(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value >= 0x80 { return true }  // RFC 6531 UTF8-non-ascii
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": return true
        default: return "!#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(scalar)
        }
    }

    static func isDotString(_ text: some StringProtocol) -> Bool {
        let atoms = text.split(separator: ".", omittingEmptySubsequences: false)
        return atoms.allSatisfy { !$0.isEmpty && $0.unicodeScalars.allSatisfy(isAtext) }
    }

    /// Printable ASCII, space and non-ASCII can be carried in a Quoted-string; controls cannot.
    static func canQuote(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.value >= 0x80 || (0x20...0x7E).contains($0.value) }
    }

    static func formatLocalPart(_ localPart: String) -> String {
        if isDotString(localPart) { return localPart }
        var quoted = "\""
        for character in localPart {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\""
    }

    /// The content of a Quoted-string (with its quotes), unescaped; `nil` if malformed.
    static func unquote(_ quoted: Substring) -> String? {
        var result = ""
        var escaped = false
        for scalar in quoted.unicodeScalars.dropFirst().dropLast() {
            if escaped {
                guard (0x20...0x7E).contains(scalar.value) else { return nil }
                result.unicodeScalars.append(scalar)
                escaped = false
            } else if scalar == "\\" {
                escaped = true
            } else if scalar == "\"" || (scalar.value < 0x80 && !(0x20...0x7E).contains(scalar.value)) {
                return nil
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return escaped || result.isEmpty ? nil : result
    }

    static func isValidDomain(_ domain: String) -> Bool {
        guard !domain.isEmpty, domain.utf8.count <= 255 else { return false }
        if domain.hasPrefix("[") {
            guard domain.hasSuffix("]"), domain.count > 2 else { return false }
            return domain.dropFirst().dropLast().unicodeScalars.allSatisfy {
                (0x21...0x7E).contains($0.value) && $0 != "[" && $0 != "]" && $0 != "\\"
            }
        }
        return domain.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard let first = label.unicodeScalars.first, let last = label.unicodeScalars.last, label.utf8.count <= 63 else {
                return false
            }
            let isLetDig = { (scalar: Unicode.Scalar) in
                scalar.value >= 0x80 || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            }
            return isLetDig(first) && isLetDig(last) && label.unicodeScalars.allSatisfy { isLetDig($0) || $0 == "-" }
        }
    }
}
