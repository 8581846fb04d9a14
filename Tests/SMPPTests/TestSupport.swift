import NIOCore

/// Octets from a hex string such as "00 00 00 10"; spaces and newlines are ignored.
func hex(_ text: String) -> [UInt8] {
    let digits = text.unicodeScalars.filter { $0.properties.isASCIIHexDigit }.map(Character.init)
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2, limitedBy: digits.endIndex) ?? digits.endIndex
        bytes.append(UInt8(String(digits[index..<next]), radix: 16) ?? 0)
        index = next
    }
    return bytes
}

/// A 16-octet header followed by `body`, with a correct command_length unless overridden.
func frame(commandID: UInt32, status: UInt32 = 0, sequence: UInt32 = 1, body: [UInt8] = [], length: UInt32? = nil) -> [UInt8] {
    var buffer = ByteBuffer()
    buffer.writeInteger(length ?? UInt32(16 + body.count))
    buffer.writeInteger(commandID)
    buffer.writeInteger(status)
    buffer.writeInteger(sequence)
    buffer.writeBytes(body)
    return Array(buffer.readableBytesView)
}

/// C-Octet string octets.
func cstr(_ text: String) -> [UInt8] {
    Array(text.utf8) + [0]
}
