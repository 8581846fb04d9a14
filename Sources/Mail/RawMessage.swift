/// A header field as it appears in the octets: the name and the exact range of the field,
/// from its name to the end of its last line (folding included, final line end excluded).
struct RawHeaderField {
    var name: String
    var range: Range<Int>
}

/// Splits message octets into raw header fields and the body, tolerating LF-only line ends,
/// garbage lines (which start the body) and a missing blank line (then the body is empty).
enum RawMessage {
    static func split(_ bytes: ArraySlice<UInt8>) -> (fields: [RawHeaderField], body: ArraySlice<UInt8>) {
        var fields: [RawHeaderField] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            var lineEnd = index
            while lineEnd < bytes.endIndex, bytes[lineEnd] != ASCII.lf { lineEnd += 1 }
            let next = lineEnd < bytes.endIndex ? lineEnd + 1 : lineEnd
            var contentEnd = lineEnd
            if contentEnd > index, bytes[contentEnd - 1] == ASCII.cr { contentEnd -= 1 }
            if contentEnd == index {
                return (fields, bytes[next...])
            }
            if ASCII.isWSP(bytes[index]), !fields.isEmpty {
                fields[fields.count - 1].range = fields[fields.count - 1].range.lowerBound..<contentEnd
            } else if let nameEnd = fieldNameEnd(bytes, from: index, to: contentEnd) {
                fields.append(RawHeaderField(name: ASCII.string(bytes[index..<nameEnd]), range: index..<contentEnd))
            } else if fields.isEmpty, bytes[index..<contentEnd].starts(with: Array("From ".utf8)) {
                // An mbox separator line: skip it.
            } else {
                return (fields, bytes[index...])
            }
            index = next
        }
        return (fields, bytes[bytes.endIndex...])
    }

    /// Where the field name of a line ends, when the line is a field: a name of printable ASCII
    /// without spaces, then optional whitespace (RFC 5322's obsolete syntax) and a colon. An mbox
    /// `From ` line has colons too, but a space in its "name".
    private static func fieldNameEnd(_ bytes: ArraySlice<UInt8>, from start: Int, to end: Int) -> Int? {
        guard let colon = bytes[start..<end].firstIndex(of: ASCII.colon), colon > start else { return nil }
        var nameEnd = colon
        while nameEnd > start, ASCII.isWSP(bytes[nameEnd - 1]) { nameEnd -= 1 }
        guard nameEnd > start, bytes[start..<nameEnd].allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else { return nil }
        return nameEnd
    }

    /// The unfolded, trimmed value of a raw field.
    static func value(of field: RawHeaderField, in bytes: ArraySlice<UInt8>) -> String {
        let raw = bytes[field.range]
        guard let colon = raw.firstIndex(of: ASCII.colon) else { return "" }
        var value = raw[(colon + 1)...].filter { $0 != ASCII.cr && $0 != ASCII.lf }[...]
        while let first = value.first, ASCII.isWSP(first) { value = value.dropFirst() }
        while let last = value.last, ASCII.isWSP(last) { value = value.dropLast() }
        return ASCII.string(value)
    }
}
