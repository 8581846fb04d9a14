import NIOCore

/// Decodes a server's input into command lines (without CRLF), for pipelines that read commands
/// with a `ByteToMessageHandler`. Throws `SMTPCodecError.lineTooLong` for a line longer than
/// `maximumLineLength` octets (RFC 5321 §4.5.3.1.4: 512, CRLF included); answer it with
/// `500 5.5.6 Line too long`. `SMTPServer` uses the same rules but recovers from long lines
/// itself, and switches to `SMTPDataReader` after DATA.
public struct SMTPCommandLineDecoder: ByteToMessageDecoder {
    /// Each command line, without its line ending.
    public typealias InboundOut = String

    private var parser: SMTPCommandLineParser

    /// A decoder with the given line limit.
    public init(maximumLineLength: Int = 512) {
        parser = SMTPCommandLineParser(maximumLength: maximumLineLength)
    }

    /// Decodes the next item from `buffer`, if it is complete.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch parser.next(&buffer) {
        case .line(let line):
            context.fireChannelRead(wrapInboundOut(line))
            return .continue
        case .tooLong:
            throw SMTPCodecError.lineTooLong(limit: parser.maximumLength)
        case nil:
            if buffer.readableBytes == 0, parser.isDiscarding { throw SMTPCodecError.lineTooLong(limit: parser.maximumLength) }
            return .needMoreData
        }
    }

    /// At the end of input: decodes whatever is complete.
    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
