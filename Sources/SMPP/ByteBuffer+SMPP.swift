import NIOCore

/// A cursor over a PDU body that turns every shortfall into a typed `SMPPDecodingError`.
struct BodyReader {
    var buffer: ByteBuffer
    private let start: Int

    init(buffer: ByteBuffer?) {
        self.buffer = buffer ?? ByteBuffer()
        self.start = self.buffer.readerIndex
    }

    var remaining: Int { buffer.readableBytes }
    var isAtEnd: Bool { buffer.readableBytes == 0 }

    mutating func uint8(_ field: String) throws(SMPPDecodingError) -> UInt8 {
        guard let value = buffer.readInteger(as: UInt8.self) else { throw .truncatedField(field) }
        return value
    }

    mutating func bytes(_ field: String, count: Int) throws(SMPPDecodingError) -> [UInt8] {
        guard let value = buffer.readBytes(length: count) else { throw .truncatedField(field) }
        return value
    }

    /// Reads a C-Octet string whose size, terminator included, is at most `max`.
    mutating func cString(_ field: String, max: Int) throws(SMPPDecodingError) -> String {
        let window = buffer.readableBytesView.prefix(max)
        guard let nul = window.firstIndex(of: 0) else {
            if window.count < max { throw .unterminatedCString(field: field) }
            throw .cStringTooLong(field: field, maximumLength: max)
        }
        let length = nul - window.startIndex
        let value = buffer.readString(length: length) ?? ""
        buffer.moveReaderIndex(forwardBy: 1)
        return value
    }

    mutating func address(_ field: String, max: Int) throws(SMPPDecodingError) -> SMPPAddress {
        let ton = TypeOfNumber(rawValue: try uint8(field + "_ton"))
        let npi = NumberingPlan(rawValue: try uint8(field + "_npi"))
        return SMPPAddress(ton: ton, npi: npi, address: try cString(field, max: max))
    }

    /// Reads TLVs until the end of the body.
    mutating func tlvs() throws(SMPPDecodingError) -> [TLV] {
        var result: [TLV] = []
        while !isAtEnd {
            let offset = buffer.readerIndex - start
            guard let tag = buffer.readInteger(as: UInt16.self),
                let length = buffer.readInteger(as: UInt16.self),
                let value = buffer.readBytes(length: Int(length))
            else { throw .truncatedTLV(offset: offset) }
            let typedTag = TLVTag(rawValue: tag)
            if let allowed = typedTag.allowedLengths, !allowed.contains(Int(length)) {
                throw .invalidTLVLength(tag: typedTag, length: Int(length))
            }
            result.append(TLV(tag: typedTag, value: value))
        }
        return result
    }

    func expectEnd(_ id: SMPPCommandID) throws(SMPPDecodingError) {
        guard isAtEnd else { throw .unexpectedBody(id, extraOctets: remaining) }
    }
}

extension ByteBuffer {
    /// Writes a C-Octet string; `max` counts the NUL terminator as the specification does.
    mutating func writeCString(_ value: String, field: String, max: Int) throws(SMPPEncodingError) {
        let utf8 = value.utf8
        guard utf8.count < max else {
            throw .fieldTooLong(field: field, maximumLength: max - 1, actual: utf8.count)
        }
        guard !utf8.contains(0) else { throw .nulInField(field: field) }
        writeBytes(utf8)
        writeInteger(UInt8(0))
    }

    mutating func writeAddress(_ address: SMPPAddress, field: String, max: Int) throws(SMPPEncodingError) {
        writeInteger(address.ton.rawValue)
        writeInteger(address.npi.rawValue)
        try writeCString(address.address, field: field, max: max)
    }

    mutating func writeTLVs(_ tlvs: [TLV]) throws(SMPPEncodingError) {
        for tlv in tlvs {
            guard tlv.value.count <= Int(UInt16.max) else {
                throw .tlvTooLong(tag: tlv.tag, length: tlv.value.count)
            }
            writeInteger(tlv.tag.rawValue)
            writeInteger(UInt16(tlv.value.count))
            writeBytes(tlv.value)
        }
    }
}
