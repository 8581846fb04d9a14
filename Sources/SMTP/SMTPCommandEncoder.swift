import NIOCore

/// Encodes `SMTPCommand`s as command lines terminated by CRLF.
public struct SMTPCommandEncoder: MessageToByteEncoder {
    /// The encoder takes `SMTPCommand` values.
    public typealias OutboundIn = SMTPCommand

    /// An encoder.
    public init() {}

    /// Writes `data` in wire form; never throws.
    public func encode(data: SMTPCommand, out: inout ByteBuffer) throws {
        Self.write(data, into: &out)
    }

    /// Appends `command` and CRLF to `buffer`.
    public static func write(_ command: SMTPCommand, into buffer: inout ByteBuffer) {
        buffer.writeString(command.line)
        buffer.writeStaticString("\r\n")
    }
}
