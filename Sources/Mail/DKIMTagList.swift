/// A DKIM tag=value list (RFC 6376 §3.2), as used by DKIM-Signature fields and key records.
public struct DKIMTagList: Sendable, Hashable {
    /// The tags in order, names as written (tag names are case-sensitive), values with
    /// surrounding whitespace removed (whitespace inside a value is kept).
    public var tags: [(name: String, value: String)] {
        zip(names, values).map { (name: $0, value: $1) }
    }
    private var names: [String]
    private var values: [String]

    /// Parses a tag list; throws on a tag name that is not ALPHA *(ALNUM / "_"), a tag without `=`,
    /// a duplicate tag or a value with characters outside %x21-3A / %x3C-7E and whitespace.
    public init(parsing text: String) throws(DKIMError) {
        names = []
        values = []
        for rawSpec in text.split(separator: ";", omittingEmptySubsequences: false) {
            let spec = ASCII.trimmed(rawSpec)
            if spec.isEmpty { continue }
            guard let equals = spec.firstIndex(of: "=") else { throw .malformedTagList("'\(spec)' has no '='") }
            let name = ASCII.trimmed(spec[..<equals])
            let value = ASCII.trimmed(spec[spec.index(after: equals)...])
            let nameScalars = Array(name.unicodeScalars)
            guard let first = nameScalars.first, first.properties.isAlphabetic, first.isASCII,
                nameScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") })
            else { throw .malformedTagList("invalid tag name '\(name)'") }
            guard value.unicodeScalars.allSatisfy({ ($0.value >= 0x21 && $0.value <= 0x7E) || ASCII.isWhitespace($0) }) else {
                throw .malformedTagList("invalid character in the value of '\(name)'")
            }
            guard !names.contains(name) else { throw .malformedTagList("duplicate tag '\(name)'") }
            names.append(name)
            values.append(value)
        }
    }

    /// The value of a tag, or nil.
    public subscript(_ name: String) -> String? {
        names.firstIndex(of: name).map { values[$0] }
    }

    public static func == (lhs: DKIMTagList, rhs: DKIMTagList) -> Bool { lhs.names == rhs.names && lhs.values == rhs.values }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(names)
        hasher.combine(values)
    }

    /// A value with all whitespace removed (base64 values may be folded).
    static func compact(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.filter { !ASCII.isWhitespace($0) }))
    }
}
