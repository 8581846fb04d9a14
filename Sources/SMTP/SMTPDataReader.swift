import NIOCore

/// Reads the content that follows a 354 reply (RFC 5321 §4.1.1.4, §4.5.2): removes the extra
/// `.` from dot-stuffed lines and stops at the terminating CRLF `.` CRLF.
///
/// Only CRLF ends a line: a bare LF followed by `.` is content, so no bare-LF variant of the
/// terminator ends the data early (SMTP smuggling). Bytes are consumed as they arrive; the message
/// is kept only up to `maximumSize` octets, past which the reader discards the rest until the
/// terminator and reports `.tooLarge`.
public struct SMTPDataReader: Sendable {
    /// What the reader found once the terminator arrived.
    public enum Outcome: Sendable, Equatable {
        /// The message, un-dot-stuffed, with its CRLF line endings (the last line's CRLF too).
        case complete(ByteBuffer)
        /// The message exceeded `maximumSize`; answer 552 5.3.4.
        case tooLarge
    }

    private enum State {
        case lineStart
        case middle
        case carriageReturn
        case dotAtLineStart
        case dotCarriageReturn
    }

    /// The largest message kept, in octets after un-stuffing.
    public let maximumSize: Int
    private var state = State.lineStart
    private var message = ByteBuffer()
    private var exceeded = false

    /// A reader for one message.
    public init(maximumSize: Int) {
        self.maximumSize = max(0, maximumSize)
    }

    /// Consumes bytes from `buffer`. Returns the outcome when the terminator was found — bytes
    /// after it stay in `buffer` (pipelined commands) — or `nil` when more data is needed.
    public mutating func read(_ buffer: inout ByteBuffer) -> Outcome? {
        var consumed = 0
        var finished = false
        buffer.withUnsafeReadableBytes { bytes in
            var runStart = 0
            var index = 0
            scan: while index < bytes.count {
                let byte = bytes[index]
                switch state {
                case .lineStart:
                    if byte == UInt8(ascii: ".") {
                        append(bytes, runStart..<index)
                        runStart = index + 1
                        state = .dotAtLineStart
                    } else {
                        state = byte == UInt8(ascii: "\r") ? .carriageReturn : .middle
                    }
                case .middle:
                    if byte == UInt8(ascii: "\r") { state = .carriageReturn }
                case .carriageReturn:
                    if byte == UInt8(ascii: "\n") {
                        state = .lineStart
                    } else if byte != UInt8(ascii: "\r") {
                        state = .middle
                    }
                case .dotAtLineStart:
                    state = byte == UInt8(ascii: "\r") ? .dotCarriageReturn : .middle
                case .dotCarriageReturn:
                    if byte == UInt8(ascii: "\n") {
                        // The run since the dot holds only the terminator's CR: drop it.
                        consumed = index + 1
                        finished = true
                        break scan
                    }
                    state = byte == UInt8(ascii: "\r") ? .carriageReturn : .middle
                }
                index += 1
            }
            guard !finished else { return }
            if state == .dotCarriageReturn {
                // Keep the CR unread until we know whether LF follows.
                append(bytes, runStart..<(bytes.count - 1))
                consumed = bytes.count - 1
                state = .dotAtLineStart
            } else {
                append(bytes, runStart..<bytes.count)
                consumed = bytes.count
            }
        }
        buffer.moveReaderIndex(forwardBy: consumed)
        guard finished else { return nil }
        let outcome: Outcome = exceeded ? .tooLarge : .complete(message)
        self = SMTPDataReader(maximumSize: maximumSize)
        return outcome
    }

    private mutating func append(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
        guard !range.isEmpty, !exceeded else { return }
        if message.readableBytes + range.count > maximumSize {
            exceeded = true
            message = ByteBuffer()
            return
        }
        message.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[range]))
    }
}
