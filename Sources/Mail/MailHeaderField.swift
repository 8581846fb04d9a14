/// One header field of a parsed message or MIME part.
public struct MailHeaderField: Sendable, Hashable {
    /// The field name as written (compare case-insensitively).
    public var name: String
    /// The unfolded value: line breaks of folding removed, leading and trailing whitespace trimmed,
    /// octets read as UTF-8 (or ISO-8859-1 when they are not valid UTF-8). Encoded words are kept.
    public var value: String

    /// A field with this name and unfolded value.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// The value with RFC 2047 encoded words decoded.
    public var decodedValue: String { EncodedWords.decode(value) }

    /// Whether the field has this name, ignoring case.
    public func hasName(_ other: String) -> Bool { ASCII.lowercased(name) == ASCII.lowercased(other) }
}

extension [MailHeaderField] {
    /// The value of the first field with this name (case-insensitive), or nil.
    public func value(_ name: String) -> String? { first { $0.hasName(name) }?.value }

    /// The values of all fields with this name, in order.
    public func values(_ name: String) -> [String] { filter { $0.hasName(name) }.map(\.value) }
}
