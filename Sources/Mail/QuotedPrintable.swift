/// Quoted-printable content transfer encoding (RFC 2045 §6.7).
public enum QuotedPrintable {
    /// Encodes text whose line ends are CRLF. Line ends stay hard line breaks; lines longer than
    /// 76 characters get soft line breaks (`=` CRLF) that never split an `=XX` escape; `=`,
    /// control characters and non-ASCII octets are escaped, as is whitespace before a line end.
    public static func encode(_ bytes: [UInt8], lineLength: Int = 76) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 8)
        let (lines, hadFinalLineEnd) = ASCII.lines(bytes[...])
        for (number, line) in lines.enumerated() {
            encodeLine(line, lineLength: lineLength, into: &output)
            if number < lines.count - 1 || hadFinalLineEnd { output.append(contentsOf: ASCII.crlf) }
        }
        return output
    }

    private static func encodeLine(_ line: ArraySlice<UInt8>, lineLength: Int, into output: inout [UInt8]) {
        var column = 0
        var index = line.startIndex
        while index < line.endIndex {
            let byte = line[index]
            let isLast = index == line.index(before: line.endIndex)
            let literal = (byte >= 33 && byte <= 126 && byte != 0x3D) || (ASCII.isWSP(byte) && !isLast)
            let piece: [UInt8] = literal ? [byte] : [0x3D, ASCII.hexDigits[Int(byte >> 4)], ASCII.hexDigits[Int(byte & 0x0F)]]
            // The last piece of a line may use the full width; any other leaves room for the soft break's "=".
            let room = isLast ? lineLength : lineLength - 1
            if column + piece.count > room {
                output.append(contentsOf: [0x3D, ASCII.cr, ASCII.lf])
                column = 0
            }
            output.append(contentsOf: piece)
            column += piece.count
            index += 1
        }
    }

    /// Decodes quoted-printable leniently: soft line breaks are removed, `=XX` escapes (either case)
    /// are decoded, an `=` not followed by two hex digits is kept as is, and whitespace at the end
    /// of an encoded line is dropped as RFC 2045 requires.
    public static func decode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        let (lines, hadFinalLineEnd) = ASCII.lines(input[...])
        for (number, rawLine) in lines.enumerated() {
            var line = rawLine
            while let last = line.last, ASCII.isWSP(last) { line = line.dropLast() }
            var soft = false
            if line.last == 0x3D {
                soft = true
                line = line.dropLast()
            }
            var index = line.startIndex
            while index < line.endIndex {
                let byte = line[index]
                if byte == 0x3D, line.distance(from: index, to: line.endIndex) >= 3,
                    let high = ASCII.hexValue(line[index + 1]), let low = ASCII.hexValue(line[index + 2])
                {
                    output.append(high << 4 | low)
                    index += 3
                } else {
                    output.append(byte)
                    index += 1
                }
            }
            let isLastLine = number == lines.count - 1
            if !soft && (!isLastLine || hadFinalLineEnd) { output.append(contentsOf: ASCII.crlf) }
        }
        return output
    }
}
