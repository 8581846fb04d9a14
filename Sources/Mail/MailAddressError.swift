/// Why a string is not an acceptable RFC 5322 addr-spec (or display name).
public enum MailAddressError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No `@` outside a quoted local part.
    case missingAtSign
    /// Nothing before the `@`.
    case emptyLocalPart
    /// The local part is longer than 64 octets (RFC 5321 §4.5.3.1.1).
    case localPartTooLong(octets: Int)
    /// A character that may not appear in an unquoted local part (space, special, control).
    case invalidLocalPartCharacter(Character)
    /// A dot at the start or end of an unquoted local part, or two dots in a row.
    case misplacedDot
    /// A quoted local part that is unterminated, has text after the closing quote, or holds a control character.
    case malformedQuotedString
    /// Nothing after the `@`.
    case emptyDomain
    /// A domain label that is empty, longer than 63 octets, starts or ends with a hyphen, or has a
    /// character other than letters, digits and hyphens.
    case invalidDomainLabel(String)
    /// A domain with non-ASCII characters. Internationalized domain names must be given in their
    /// A-label (punycode, `xn--…`) form; this library does not perform IDNA conversion.
    case nonASCIIDomain(String)
    /// A domain literal (`[…]`) that is not an IPv4 address or an `IPv6:` address.
    case invalidDomainLiteral(String)
    /// The whole address is longer than 254 octets.
    case addressTooLong(octets: Int)
    /// CR, LF or NUL in the address or display name: never allowed, they would break the header.
    case controlCharacter

    public var description: String {
        switch self {
        case .missingAtSign: "the address has no '@'"
        case .emptyLocalPart: "the part before '@' is empty"
        case .localPartTooLong(let octets): "the part before '@' is \(octets) octets long; at most 64 are allowed"
        case .invalidLocalPartCharacter(let character):
            "the character \(character.debugDescription) is not allowed before '@' unless the local part is quoted"
        case .misplacedDot: "the part before '@' starts or ends with a dot or has two dots in a row"
        case .malformedQuotedString: "the quoted part before '@' is not a valid quoted string"
        case .emptyDomain: "the domain after '@' is empty"
        case .invalidDomainLabel(let label):
            "the domain label '\(label)' is invalid: labels are 1–63 letters, digits or hyphens and neither start nor end with a hyphen"
        case .nonASCIIDomain(let domain):
            "the domain '\(domain)' is not ASCII; give internationalized domains in their A-label (xn--) form"
        case .invalidDomainLiteral(let literal): "the domain literal '\(literal)' is not an IPv4 or IPv6 address"
        case .addressTooLong(let octets): "the address is \(octets) octets long; at most 254 are allowed"
        case .controlCharacter: "the address or display name contains CR, LF or NUL"
        }
    }
}
