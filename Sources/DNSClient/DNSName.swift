/// A domain name: a sequence of labels, each 1…63 octets, at most 255 octets in wire form.
///
/// Names compare and hash case-insensitively (ASCII only, RFC 4343) but keep the case they were
/// given, so `DNSName("Example.COM")` equals `DNSName("example.com")` and still prints as typed.
/// Every instance is valid: the initialisers and the decoder check the limits, so encoding a name
/// cannot fail.
public struct DNSName: Sendable, Hashable, CustomStringConvertible {
    /// The labels, leftmost first, without the empty root label.
    public let labels: [[UInt8]]

    /// The root name (`.`), which has no labels.
    public static let root = DNSName(validatedLabels: [])

    /// The longest a name may be in wire form, terminating root label included.
    public static let maximumWireLength = 255
    /// The longest a label may be.
    public static let maximumLabelLength = 63

    init(validatedLabels: [[UInt8]]) {
        self.labels = validatedLabels
    }

    /// Parses a name in presentation form: dot-separated labels, an optional trailing dot, and the
    /// `\.`, `\\` and `\DDD` escapes of RFC 1035 §5.1 for octets that are not plain text.
    ///
    /// Names are always taken as absolute: there is no search list.
    public init(_ text: String) throws(DNSNameError) {
        if text.isEmpty { throw .empty }
        if text == "." {
            self = .root
            return
        }
        var labels: [[UInt8]] = []
        var current: [UInt8] = []
        var bytes = text.utf8.makeIterator()
        var endedWithDot = false
        while let byte = bytes.next() {
            endedWithDot = false
            switch byte {
            case UInt8(ascii: "."):
                if current.isEmpty { throw .emptyLabel }
                labels.append(current)
                current = []
                endedWithDot = true
            case UInt8(ascii: "\\"):
                current.append(try Self.unescape(&bytes))
            case 0x80...:
                throw .nonASCII
            default:
                current.append(byte)
            }
        }
        if !current.isEmpty {
            labels.append(current)
        } else if !endedWithDot {
            throw .emptyLabel
        }
        try self.init(labelBytes: labels)
    }

    /// Builds a name from its labels, leftmost first (`["mail", "example", "com"]`).
    public init(labels: [String]) throws(DNSNameError) {
        var bytes: [[UInt8]] = []
        for label in labels {
            if label.utf8.contains(where: { $0 >= 0x80 }) { throw .nonASCII }
            bytes.append(Array(label.utf8))
        }
        try self.init(labelBytes: bytes)
    }

    /// Builds a name from raw label octets, checking the limits of RFC 1035 §2.3.4.
    public init(labelBytes: [[UInt8]]) throws(DNSNameError) {
        for label in labelBytes {
            if label.isEmpty { throw .emptyLabel }
            if label.count > Self.maximumLabelLength { throw .labelTooLong(length: label.count) }
        }
        let length = labelBytes.reduce(1) { $0 + 1 + $1.count }
        if length > Self.maximumWireLength { throw .nameTooLong(length: length) }
        self.labels = labelBytes
    }

    private static func unescape(_ bytes: inout String.UTF8View.Iterator) throws(DNSNameError) -> UInt8 {
        guard let first = bytes.next() else { throw .invalidEscape }
        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            if first >= 0x80 { throw .nonASCII }
            return first
        }
        var value = Int(first - UInt8(ascii: "0"))
        for _ in 0..<2 {
            guard let digit = bytes.next(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else {
                throw .invalidEscape
            }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        guard value <= 255 else { throw .invalidEscape }
        return UInt8(value)
    }

    /// Whether this is the root name.
    public var isRoot: Bool { labels.isEmpty }

    /// Octets the name takes in uncompressed wire form.
    public var wireLength: Int { labels.reduce(1) { $0 + 1 + $1.count } }

    /// The name with `prefix` (one or more labels in presentation form) put in front, for names
    /// such as `_dmarc.<domain>` or `<selector>._domainkey.<domain>`.
    public func prepending(_ prefix: String) throws(DNSNameError) -> DNSName {
        let head = try DNSName(prefix)
        return try DNSName(labelBytes: head.labels + labels)
    }

    /// Whether this name equals `other` or lies below it (`a.example.com` is within `example.com`).
    public func isWithin(_ other: DNSName) -> Bool {
        guard labels.count >= other.labels.count else { return false }
        return zip(labels.suffix(other.labels.count), other.labels).allSatisfy { Self.labelsEqual($0, $1) }
    }

    /// The presentation form without a trailing dot (`"."` for the root); octets that are not
    /// printable ASCII, dots inside labels and backslashes are escaped so that the text parses back
    /// to the same name.
    public var description: String {
        if labels.isEmpty { return "." }
        var text = ""
        for (index, label) in labels.enumerated() {
            if index > 0 { text += "." }
            for byte in label {
                switch byte {
                case UInt8(ascii: "."), UInt8(ascii: "\\"):
                    text += "\\" + String(UnicodeScalar(byte))
                case 0x21...0x7E:
                    text.unicodeScalars.append(UnicodeScalar(byte))
                default:
                    let digits = String(byte)
                    text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
                }
            }
        }
        return text
    }

    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        lhs.labels.count == rhs.labels.count && zip(lhs.labels, rhs.labels).allSatisfy { labelsEqual($0, $1) }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(labels.count)
        for label in labels {
            for byte in label { hasher.combine(Self.lowercased(byte)) }
            hasher.combine(UInt8(0x2E))
        }
    }

    private static func labelsEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { lowercased($0) == lowercased($1) }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
}
