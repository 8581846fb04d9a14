import NIOCore

/// Encodes `SMTPReply`s for the server side: `ddd-text` for every line but the last, `ddd text`
/// for the last, each terminated by CRLF. CR, LF and NUL inside the text become spaces so a reply
/// can never be split or smuggle a second reply.
public struct SMTPReplyEncoder: MessageToByteEncoder {
    /// The encoder takes `SMTPReply` values.
    public typealias OutboundIn = SMTPReply

    /// An encoder.
    public init() {}

    /// Writes `data` in wire form; never throws.
    public func encode(data: SMTPReply, out: inout ByteBuffer) throws {
        Self.write(data, into: &out)
    }

    /// Appends `reply` in wire form to `buffer`. Codes outside 200–599 are written as 451.
    public static func write(_ reply: SMTPReply, into buffer: inout ByteBuffer) {
        let code = (200..<600).contains(reply.code) ? reply.code : 451
        for (index, line) in reply.lines.enumerated() {
            buffer.writeString(String(code))
            buffer.writeStaticString(index == reply.lines.count - 1 ? " " : "-")
            buffer.writeString(sanitized(line))
            buffer.writeStaticString("\r\n")
        }
    }

    private static func sanitized(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else { return text }
        return String(text.map { $0 == "\r" || $0 == "\n" || $0 == "\r\n" || $0 == "\0" ? " " : $0 })
    }
}
