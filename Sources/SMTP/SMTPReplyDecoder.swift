import NIOCore

/// Decodes server replies (RFC 5321 §4.2) from bytes: multi-line replies become one
/// `SMTPReply`. Throws `SMTPCodecError` for malformed or over-long lines and for replies with too
/// many lines; the channel should then be closed.
public struct SMTPReplyDecoder: ByteToMessageDecoder {
    /// Each complete reply, multi-line replies as one.
    public typealias InboundOut = SMTPReply

    private var parser: SMTPReplyParser

    /// - Parameters:
    ///   - maximumLineLength: the longest accepted line, CRLF included. RFC 5321 §4.5.3.1.5 sets
    ///     512; the default 2048 tolerates servers that exceed it.
    ///   - maximumLines: the most lines accepted in one reply.
    public init(maximumLineLength: Int = 2048, maximumLines: Int = 128) {
        parser = SMTPReplyParser(maximumLineLength: maximumLineLength, maximumLines: maximumLines)
    }

    /// Decodes the next item from `buffer`, if it is complete.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let reply = try parser.parse(&buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(reply))
        return .continue
    }

    /// At the end of input: decodes whatever is complete.
    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
