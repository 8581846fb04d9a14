import NIOCore

/// Why the byte stream could not be cut into PDUs. Unlike a bad body, a bad command_length
/// leaves no way to find the next PDU, so the session closes the connection on these.
public enum SMPPFramingError: Error, Hashable, Sendable {
    /// command_length below the 16-octet header or above the configured maximum.
    case invalidCommandLength(UInt32, maximum: Int)
    /// The connection ended in the middle of a PDU.
    case truncatedFrame(received: Int, expected: Int?)
}

/// Cuts the inbound byte stream into command_length-delimited frames, each a `ByteBuffer` that
/// holds exactly one PDU (header included), ready for `PDUCodec.decode(frame:)`.
///
/// Frames are handed on undecoded so that the session can answer a corrupt body with a
/// `generic_nack` that carries the offending sequence number, instead of dropping the link.
public struct SMPPFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// Default upper bound on command_length: 64 KiB comfortably fits a maximal message_payload
    /// while stopping a peer from making us buffer gigabytes.
    public static let defaultMaximumFrameLength = 64 * 1024

    /// Largest command_length accepted; anything above is refused before it is buffered.
    public let maximumFrameLength: Int

    public init(maximumFrameLength: Int = SMPPFrameDecoder.defaultMaximumFrameLength) {
        self.maximumFrameLength = maximumFrameLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try nextFrame(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        while let frame = try nextFrame(&buffer) {
            context.fireChannelRead(Self.wrapInboundOut(frame))
        }
        if buffer.readableBytes > 0 {
            let expected = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self).map(Int.init)
            let received = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: received)
            throw SMPPFramingError.truncatedFrame(received: received, expected: expected)
        }
        return .needMoreData
    }

    /// The framing rule on its own, usable without a channel (tests, tools).
    public func nextFrame(_ buffer: inout ByteBuffer) throws(SMPPFramingError) -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length >= UInt32(PDU.headerLength), Int(length) <= maximumFrameLength else {
            throw .invalidCommandLength(length, maximum: maximumFrameLength)
        }
        return buffer.readSlice(length: Int(length))
    }
}

/// Encodes outbound `PDU`s. Sessions validate PDUs with `PDUCodec.validate` before writing,
/// because a `MessageToByteHandler` whose encoder throws refuses every later write.
public struct SMPPPDUEncoder: MessageToByteEncoder {
    public typealias OutboundIn = PDU

    public init() {}

    public func encode(data: PDU, out: inout ByteBuffer) throws {
        try PDUCodec.encode(data, into: &out)
    }
}
