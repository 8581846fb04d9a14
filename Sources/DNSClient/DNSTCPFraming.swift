import NIOCore

/// Why a DNS-over-TCP stream could not be cut into messages.
public enum DNSTCPFramingError: Error, Hashable, Sendable {
    /// The connection ended inside a message (or inside its two-octet length).
    case truncatedFrame(received: Int, expected: Int?)
    /// An outbound message above the 65535 octets that the length prefix can express.
    case messageTooLong(length: Int)
}

/// Cuts a DNS-over-TCP byte stream into messages: each is preceded by its length as two octets
/// in network order (RFC 1035 §4.2.2, RFC 7766 §8). Frames are handed on undecoded so that the
/// reader decides what a malformed message means (the client fails the query; the test server
/// drops it).
public struct DNSTCPFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    public init() {}

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = Self.nextFrame(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while let frame = Self.nextFrame(&buffer) {
            context.fireChannelRead(Self.wrapInboundOut(frame))
        }
        if buffer.readableBytes > 0 {
            let expected = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self).map(Int.init)
            let received = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: received)
            throw DNSTCPFramingError.truncatedFrame(received: received, expected: expected)
        }
        return .needMoreData
    }

    /// The framing rule on its own: the next complete message, or `nil` until one has arrived.
    public static func nextFrame(_ buffer: inout ByteBuffer) -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
            buffer.readableBytes >= 2 + Int(length)
        else { return nil }
        buffer.moveReaderIndex(forwardBy: 2)
        return buffer.readSlice(length: Int(length))
    }
}

/// Prefixes each outbound message with its two-octet length.
public struct DNSTCPFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = ByteBuffer

    public init() {}

    public func encode(data: ByteBuffer, out: inout ByteBuffer) throws {
        guard data.readableBytes <= Int(UInt16.max) else { throw DNSTCPFramingError.messageTooLong(length: data.readableBytes) }
        out.writeInteger(UInt16(data.readableBytes))
        out.writeImmutableBuffer(data)
    }
}
