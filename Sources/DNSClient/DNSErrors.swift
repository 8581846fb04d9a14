/// Why a domain name was refused: the limits of RFC 1035 §2.3.4 (labels of 1…63 octets, at most
/// 255 octets on the wire) or a presentation form this library does not read.
public enum DNSNameError: Error, Hashable, Sendable {
    /// The text was empty (use `"."` or `DNSName.root` for the root).
    case empty
    /// Two dots in a row, or a leading dot, would make an empty label, which only the root may have.
    case emptyLabel
    /// A label longer than 63 octets.
    case labelTooLong(length: Int)
    /// The name takes more than 255 octets in wire form.
    case nameTooLong(length: Int)
    /// A character outside ASCII: internationalised names must be converted to their A-label
    /// (`xn--…`) form first, because the DNS compares octets, not Unicode text.
    case nonASCII
    /// A backslash escape that is neither `\X` nor `\DDD` with DDD ≤ 255.
    case invalidEscape
}

/// Why a DNS message could not be decoded. Every malformed input maps to one of these; the codec
/// never traps, so a hostile or broken server can at worst get its answer ignored.
///
/// Offsets count octets from the first octet of the message, as compression pointers do.
public enum DNSDecodingError: Error, Hashable, Sendable {
    /// Fewer than the 12 octets of a header.
    case truncatedHeader(length: Int)
    /// The message ended inside a field (`field` names it: "question", "rdlength", "TXT", …).
    case truncated(field: String, offset: Int)
    /// A length octet whose two top bits are 01 or 10: the extended label types of RFC 2671 were
    /// withdrawn, so no server sends them and this library does not guess.
    case unsupportedLabelType(UInt8, offset: Int)
    /// A name longer than 255 octets once its compression pointers are followed.
    case nameTooLong(offset: Int)
    /// A compression pointer that points outside the message.
    case pointerOutOfRange(target: Int, offset: Int)
    /// A compression pointer that does not point strictly before the labels that led to it.
    /// Encoders only point back at names already written, and requiring it makes pointer loops
    /// (a pointer to itself, or two that point at each other) impossible.
    case pointerNotBackward(target: Int, offset: Int)
    /// The RDATA of a record ran past its RDLENGTH or past the end of the message.
    case rdataOverrun(type: DNSRecordType, offset: Int)
    /// A known record type whose RDATA did not fill exactly RDLENGTH octets (an A record of 5
    /// octets, an MX with octets after its exchange name, …).
    case rdataLengthMismatch(type: DNSRecordType, declared: Int, consumed: Int)
    /// More than one OPT pseudo-record (RFC 6891 §6.1.1 makes that a format error).
    case multipleOPTRecords
    /// An OPT pseudo-record outside the additional section, or with an owner other than the root.
    case misplacedOPTRecord(offset: Int)
    /// Octets left over after the last record the header announced.
    case trailingBytes(count: Int)
}

/// Why a DNS message could not be encoded: a field breaks a limit of the wire format. Checked
/// before the message is sent so a bad record fails alone instead of producing a corrupt packet.
public enum DNSEncodingError: Error, Hashable, Sendable {
    /// A TXT character-string above 255 octets: split it (see `DNSTXTRecord(splitting:)`).
    case characterStringTooLong(length: Int)
    /// RDATA above 65535 octets.
    case rdataTooLong(type: DNSRecordType, length: Int)
    /// More than 65535 entries in one section.
    case tooManyEntries(section: String, count: Int)
}
