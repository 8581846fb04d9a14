import NIOCore

/// A cursor over one whole DNS message that turns every shortfall into a typed
/// `DNSDecodingError`. It keeps the whole message because compression pointers may point
/// anywhere before the name being read.
struct DNSWireReader {
    private let buffer: ByteBuffer
    /// Readable length of the message.
    let length: Int
    /// Offset of the next octet to read, from the start of the message.
    private(set) var offset = 0
    /// Reads stop here: the message end, or the end of the RDATA being decoded.
    private var end: Int

    init(_ buffer: ByteBuffer) {
        // A copy whose reader index is 0 lets offsets equal pointer values.
        self.buffer = buffer.getSlice(at: buffer.readerIndex, length: buffer.readableBytes) ?? ByteBuffer()
        self.length = buffer.readableBytes
        self.end = length
    }

    var remaining: Int { end - offset }

    mutating func uint8(_ field: String) throws(DNSDecodingError) -> UInt8 {
        guard offset + 1 <= end, let value = buffer.getInteger(at: offset, as: UInt8.self) else {
            throw .truncated(field: field, offset: offset)
        }
        offset += 1
        return value
    }

    mutating func uint16(_ field: String) throws(DNSDecodingError) -> UInt16 {
        guard offset + 2 <= end, let value = buffer.getInteger(at: offset, as: UInt16.self) else {
            throw .truncated(field: field, offset: offset)
        }
        offset += 2
        return value
    }

    mutating func uint32(_ field: String) throws(DNSDecodingError) -> UInt32 {
        guard offset + 4 <= end, let value = buffer.getInteger(at: offset, as: UInt32.self) else {
            throw .truncated(field: field, offset: offset)
        }
        offset += 4
        return value
    }

    mutating func bytes(_ field: String, count: Int) throws(DNSDecodingError) -> [UInt8] {
        guard count >= 0, offset + count <= end, let value = buffer.getBytes(at: offset, length: count) else {
            throw .truncated(field: field, offset: offset)
        }
        offset += count
        return value
    }

    /// Reads a possibly compressed name (RFC 1035 §4.1.4).
    ///
    /// Each pointer must point strictly before the labels that led to it (the start of the name,
    /// then the previous pointer's target). Targets therefore strictly decrease, which bounds the
    /// number of jumps by the message length and rules out loops without a hop counter.
    mutating func name(_ field: String = "name") throws(DNSDecodingError) -> DNSName {
        let start = offset
        var position = offset
        var floor = offset
        var jumped = false
        var labels: [[UInt8]] = []
        var wireLength = 1
        while true {
            // Octets in place are bounded by `end` (the RDATA); octets reached by a pointer by the message.
            let limit = jumped ? length : end
            guard position < limit, let lengthOctet = buffer.getInteger(at: position, as: UInt8.self) else {
                throw .truncated(field: field, offset: position)
            }
            switch lengthOctet >> 6 {
            case 0:
                if lengthOctet == 0 {
                    if !jumped { offset = position + 1 }
                    return DNSName(validatedLabels: labels)
                }
                let count = Int(lengthOctet)
                wireLength += 1 + count
                if wireLength > DNSName.maximumWireLength { throw .nameTooLong(offset: start) }
                guard position + 1 + count <= limit, let label = buffer.getBytes(at: position + 1, length: count) else {
                    throw .truncated(field: field, offset: position)
                }
                labels.append(label)
                position += 1 + count
            case 3:
                guard position + 2 <= limit, let low = buffer.getInteger(at: position + 1, as: UInt8.self) else {
                    throw .truncated(field: field, offset: position)
                }
                let target = Int(lengthOctet & 0x3F) << 8 | Int(low)
                // Names never live in the 12-octet header.
                guard target >= 12, target < length else { throw .pointerOutOfRange(target: target, offset: position) }
                guard target < floor else { throw .pointerNotBackward(target: target, offset: position) }
                if !jumped {
                    offset = position + 2
                    jumped = true
                }
                floor = target
                position = target
            default:
                throw .unsupportedLabelType(lengthOctet, offset: position)
            }
        }
    }

    /// Runs `body` with reads confined to the next `count` octets, and checks that it used them all.
    mutating func rdata<T>(
        type: DNSRecordType, count: Int, _ body: (inout DNSWireReader) throws(DNSDecodingError) -> T
    ) throws(DNSDecodingError) -> T {
        let start = offset
        guard start + count <= end else { throw .rdataOverrun(type: type, offset: start) }
        let savedEnd = end
        end = start + count
        defer { end = savedEnd }
        let value: T
        do {
            value = try body(&self)
        } catch .truncated {
            throw .rdataOverrun(type: type, offset: start)
        }
        guard offset == start + count else {
            throw .rdataLengthMismatch(type: type, declared: count, consumed: offset - start)
        }
        return value
    }
}
