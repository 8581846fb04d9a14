import Foundation

/// Base64 content transfer encoding (RFC 2045 §6.8) in lines of at most 76 characters.
public enum Base64Lines {
    /// Encodes octets as base64 lines of `lineLength` characters (a multiple of 4), each ended by CRLF.
    public static func encode(_ bytes: [UInt8], lineLength: Int = 76) -> [UInt8] {
        let text = Array(Data(bytes).base64EncodedString().utf8)
        var output: [UInt8] = []
        output.reserveCapacity(text.count + text.count / lineLength * 2 + 2)
        var start = 0
        while start < text.count {
            let end = min(start + lineLength, text.count)
            output.append(contentsOf: text[start..<end])
            output.append(contentsOf: ASCII.crlf)
            start = end
        }
        return output
    }

    /// Decodes base64 leniently: characters outside the alphabet (line ends, spaces, junk) are
    /// skipped, decoding stops at the first `=`, and a dangling partial group yields what it holds.
    public static func decode(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in bytes {
            let value: UInt32
            switch byte {
            case 0x41...0x5A: value = UInt32(byte - 0x41)
            case 0x61...0x7A: value = UInt32(byte - 0x61 + 26)
            case 0x30...0x39: value = UInt32(byte - 0x30 + 52)
            case 0x2B, 0x2D: value = 62
            case 0x2F, 0x5F: value = 63
            case 0x3D: return output
            default: continue
            }
            accumulator = accumulator << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        return output
    }

    /// Strict decoding for DKIM tag values: whitespace is ignored, anything else outside the
    /// alphabet (or misplaced padding) makes it fail.
    static func decodeStrict(_ text: String) -> [UInt8]? {
        let compact = text.unicodeScalars.filter { !ASCII.isWhitespace($0) }
        guard let data = Data(base64Encoded: String(String.UnicodeScalarView(compact))) else { return nil }
        return [UInt8](data)
    }
}

/// Plain base64 of a short octet string, without line breaks.
enum Base64Text {
    static func encode(_ bytes: some Sequence<UInt8>) -> String { Data(bytes).base64EncodedString() }
}
