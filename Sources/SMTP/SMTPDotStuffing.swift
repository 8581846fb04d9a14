import NIOCore

/// Prepares message content for DATA (RFC 5321 §4.5.2): every line that starts with `.` gets a
/// second `.`, the content is made to end with CRLF, and the terminating `.` CRLF is appended.
///
/// Bare CR and bare LF, which SMTP forbids (§2.3.8), are written as CRLF. Besides making the
/// output valid this means no sequence inside the message can be read as the end of the data by
/// a lenient server (so-called SMTP smuggling).
public enum SMTPDotStuffing {
    /// The content as sent after a 354 reply, `.` CRLF included.
    public static func encode(_ message: ByteBuffer) -> ByteBuffer {
        encodeCountingSize(message).data
    }

    /// The encoded data, the size of the message in octets before dot-stuffing and without the
    /// terminator (the figure SIZE= declares, RFC 1870), and the length of its longest line without
    /// the line ending (RFC 5321 §4.5.3.1.6 allows 998).
    static func encodeCountingSize(_ message: ByteBuffer) -> (data: ByteBuffer, messageSize: Int, longestLine: Int) {
        var out = ByteBuffer()
        out.reserveCapacity(message.readableBytes + message.readableBytes / 32 + 8)
        var stuffed = 0
        var longestLine = 0
        message.withUnsafeReadableBytes { bytes in
            var atLineStart = true
            var runStart = 0
            var lineStart = 0
            var index = 0
            func flush(upTo end: Int) {
                if end > runStart { out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<end])) }
            }
            while index < bytes.count {
                let byte = bytes[index]
                if atLineStart && byte == UInt8(ascii: ".") {
                    flush(upTo: index)
                    out.writeInteger(UInt8(ascii: "."))
                    stuffed += 1
                    runStart = index
                }
                if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                    longestLine = max(longestLine, index - lineStart)
                    let isCRLF = byte == UInt8(ascii: "\r") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n")
                    if isCRLF {
                        index += 2
                    } else {
                        flush(upTo: index)
                        out.writeStaticString("\r\n")
                        index += 1
                        runStart = index
                    }
                    atLineStart = true
                    lineStart = index
                } else {
                    atLineStart = false
                    index += 1
                }
            }
            flush(upTo: bytes.count)
            longestLine = max(longestLine, bytes.count - lineStart)
            if !atLineStart { out.writeStaticString("\r\n") }
        }
        let size = out.readableBytes - stuffed
        out.writeStaticString(".\r\n")
        return (out, size, longestLine)
    }
}
