/// Small octet-level helpers shared by the rendering, parsing and DKIM code.
enum ASCII {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let equals: UInt8 = 0x3D
    static let questionMark: UInt8 = 0x3F
    static let crlf: [UInt8] = [0x0D, 0x0A]

    /// SP or HTAB, RFC 5234's WSP.
    static func isWSP(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    /// Whether every octet is 7-bit.
    static func isASCII(_ bytes: some Sequence<UInt8>) -> Bool { bytes.allSatisfy { $0 < 0x80 } }

    /// Lowercases ASCII letters only, leaving other octets alone.
    static func lowercased(_ string: String) -> String {
        String(decoding: string.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// Decodes octets as UTF-8 when they are valid UTF-8, else as ISO-8859-1 (which maps every octet).
    static func string(_ bytes: some Collection<UInt8>) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    /// Converts bare LF and bare CR line ends into CRLF; CRLF pairs are kept.
    static func normalizingLineEndings(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 32)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == cr {
                output.append(contentsOf: crlf)
                if index + 1 < bytes.count, bytes[index + 1] == lf { index += 1 }
            } else if byte == lf {
                output.append(contentsOf: crlf)
            } else {
                output.append(byte)
            }
            index += 1
        }
        return output
    }

    /// Splits octets into lines on LF, dropping the LF and one preceding CR. A trailing line without
    /// a line end is returned too; `hadFinalLineEnd` says whether the input ended with one.
    static func lines(_ bytes: ArraySlice<UInt8>) -> (lines: [ArraySlice<UInt8>], hadFinalLineEnd: Bool) {
        var lines: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == lf {
                var end = index
                if end > start, bytes[end - 1] == cr { end -= 1 }
                lines.append(bytes[start..<end])
                start = index + 1
            }
            index += 1
        }
        if start < bytes.endIndex {
            lines.append(bytes[start..<bytes.endIndex])
            return (lines, false)
        }
        return (lines, true)
    }

    /// Whether `needle` occurs in `haystack`.
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
        let first = needle[0]
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first, haystack[index..<index + needle.count].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }

    /// Strips leading and trailing SP/HTAB/CR/LF from a string.
    static func trimmed(_ string: some StringProtocol) -> String {
        let scalars = string.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isWhitespace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isWhitespace($0) })!
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[first...last])
        return String(view)
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\r" || scalar == "\n"
    }

    static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// The value of a hexadecimal digit (either case), or nil.
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// `count` random octets from the system generator, as lowercase hexadecimal.
    static func randomHex(octets count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        for _ in 0..<count {
            let byte = UInt8.random(in: 0...255, using: &generator)
            text.append(Character(Unicode.Scalar(hexDigits[Int(byte >> 4)] | 0x20)))
            text.append(Character(Unicode.Scalar(hexDigits[Int(byte & 0x0F)] | 0x20)))
        }
        return text
    }
}
