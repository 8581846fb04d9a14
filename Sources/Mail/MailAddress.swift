/// An email address (RFC 5322 addr-spec) with an optional display name.
///
/// The local part is kept as written, except that a quoted local part whose content is a valid
/// dot-atom is unquoted (`"john"@example.com` is `john@example.com`). The domain is lowercased.
/// Non-ASCII local parts (RFC 6531/6532) are accepted and flagged by ``requiresSMTPUTF8``;
/// non-ASCII domains are refused with ``MailAddressError/nonASCIIDomain(_:)`` — give them in A-label form.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    /// The part before `@`: a dot-atom, or a quoted string including its quotes.
    public let localPart: String
    /// The domain, lowercased: LDH labels or a domain literal such as `[192.0.2.1]`.
    public let domain: String
    /// The display name, as plain text (never encoded or quoted).
    public let displayName: String?

    /// Validates and stores an addr-spec such as `jane.doe@example.com` or `"jane doe"@example.com`.
    public init(_ addrSpec: String, displayName: String? = nil) throws(MailAddressError) {
        if let displayName, displayName.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
            throw .controlCharacter
        }
        let (local, domain) = try Self.split(addrSpec)
        self.localPart = try Self.validateLocalPart(local)
        self.domain = try Self.validateDomain(domain)
        let total = self.localPart.utf8.count + 1 + self.domain.utf8.count
        guard total <= 254 else { throw .addressTooLong(octets: total) }
        let trimmedName = displayName.map { ASCII.trimmed($0) }
        self.displayName = trimmedName?.isEmpty == false ? trimmedName : nil
    }

    /// `local@domain`, as used in SMTP commands and between angle brackets.
    public var addrSpec: String { localPart + "@" + domain }

    /// The same as ``addrSpec``: `local@domain`.
    public var address: String { addrSpec }

    /// Whether the local part has non-ASCII characters, so that SMTP needs the SMTPUTF8 extension.
    public var requiresSMTPUTF8: Bool { !ASCII.isASCII(localPart.utf8) }

    /// The address as it appears in a header field: `addr-spec` alone, or `Name <addr-spec>` with the
    /// name as atoms, as a quoted string when it has specials, or as RFC 2047 encoded words when it is not ASCII.
    public func headerValue() -> String {
        guard let displayName else { return addrSpec }
        return Self.phrase(displayName) + " <" + addrSpec + ">"
    }

    public var description: String { headerValue() }

    /// Renders display-name text as an RFC 5322 phrase.
    static func phrase(_ text: String) -> String {
        let needsEncoding =
            !ASCII.isASCII(text.utf8) || text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
            || text.contains("=?")
        if needsEncoding { return EncodedWords.encode(text).joined(separator: " ") }
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        if words.allSatisfy({ !$0.isEmpty && $0.unicodeScalars.allSatisfy(isAtext) }) { return text }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { quoted.unicodeScalars.append("\\") }
            quoted.unicodeScalars.append(scalar)
        }
        return quoted + "\""
    }

    /// RFC 5322 atext (plus UTF-8 per RFC 6532).
    static func isAtext(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value >= 0x80 { return true }
        if (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
            || (scalar >= "0" && scalar <= "9")
        {
            return true
        }
        return "!#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(scalar)
    }

    private static func split(_ addrSpec: String) throws(MailAddressError) -> (local: String, domain: String) {
        if addrSpec.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) { throw .controlCharacter }
        let scalars = Array(addrSpec.unicodeScalars)
        var atIndex: Int?
        if scalars.first == "\"" {
            var index = 1
            while index < scalars.count {
                if scalars[index] == "\\" {
                    index += 2
                    continue
                }
                if scalars[index] == "\"" { break }
                index += 1
            }
            guard index < scalars.count else { throw .malformedQuotedString }
            guard index + 1 < scalars.count else { throw .missingAtSign }
            guard scalars[index + 1] == "@" else { throw .malformedQuotedString }
            atIndex = index + 1
        } else {
            atIndex = scalars.lastIndex(of: "@")
        }
        guard let atIndex else { throw .missingAtSign }
        let local = String(String.UnicodeScalarView(scalars[..<atIndex]))
        let domain = String(String.UnicodeScalarView(scalars[(atIndex + 1)...]))
        return (local, domain)
    }

    private static func validateLocalPart(_ local: String) throws(MailAddressError) -> String {
        guard !local.isEmpty else { throw .emptyLocalPart }
        var canonical = local
        if local.hasPrefix("\"") {
            let inner = Array(local.unicodeScalars.dropFirst().dropLast())
            var content = String.UnicodeScalarView()
            var index = 0
            while index < inner.count {
                let scalar = inner[index]
                if scalar == "\\" {
                    guard index + 1 < inner.count, inner[index + 1].value >= 0x20 || inner[index + 1] == "\t",
                        inner[index + 1].value != 0x7F
                    else { throw .malformedQuotedString }
                    content.append(inner[index + 1])
                    index += 2
                    continue
                }
                guard scalar == "\t" || (scalar.value >= 0x20 && scalar.value != 0x7F), scalar != "\"" else {
                    throw .malformedQuotedString
                }
                content.append(scalar)
                index += 1
            }
            let text = String(content)
            if isDotAtom(text) {
                canonical = text
            } else {
                guard !text.isEmpty else { throw .emptyLocalPart }
                var quoted = "\""
                for scalar in content {
                    if scalar == "\"" || scalar == "\\" { quoted.unicodeScalars.append("\\") }
                    quoted.unicodeScalars.append(scalar)
                }
                canonical = quoted + "\""
            }
        } else {
            if let bad = local.unicodeScalars.first(where: { $0 != "." && !isAtext($0) }) {
                throw .invalidLocalPartCharacter(Character(bad))
            }
            guard isDotAtom(local) else { throw .misplacedDot }
        }
        let octets = canonical.utf8.count
        guard octets <= 64 else { throw .localPartTooLong(octets: octets) }
        return canonical
    }

    private static func isDotAtom(_ text: String) -> Bool {
        let atoms = text.split(separator: ".", omittingEmptySubsequences: false)
        return atoms.allSatisfy { !$0.isEmpty && $0.unicodeScalars.allSatisfy(isAtext) }
    }

    private static func validateDomain(_ domain: String) throws(MailAddressError) -> String {
        guard !domain.isEmpty else { throw .emptyDomain }
        if domain.hasPrefix("[") {
            return try validateDomainLiteral(domain)
        }
        guard ASCII.isASCII(domain.utf8) else { throw .nonASCIIDomain(domain) }
        let lowered = ASCII.lowercased(domain)
        for label in lowered.split(separator: ".", omittingEmptySubsequences: false) {
            let bytes = Array(label.utf8)
            let ldh = bytes.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
            guard !bytes.isEmpty, bytes.count <= 63, ldh, bytes.first != 0x2D, bytes.last != 0x2D else {
                throw .invalidDomainLabel(String(label))
            }
        }
        return lowered
    }

    private static func validateDomainLiteral(_ literal: String) throws(MailAddressError) -> String {
        guard literal.hasSuffix("]"), literal.count > 2 else { throw .invalidDomainLiteral(literal) }
        let inner = String(literal.dropFirst().dropLast())
        let octets = inner.split(separator: ".", omittingEmptySubsequences: false)
        if octets.count == 4, octets.allSatisfy({ $0.count <= 3 && UInt8($0) != nil }) { return literal }
        let lowered = ASCII.lowercased(inner)
        if lowered.hasPrefix("ipv6:") {
            let address = lowered.dropFirst(5)
            let allowed = address.unicodeScalars.allSatisfy { $0.properties.isASCIIHexDigit || $0 == ":" || $0 == "." }
            if allowed, address.contains(":"), address.count >= 2 { return "[IPv6:" + address + "]" }
        }
        throw .invalidDomainLiteral(literal)
    }
}
