import NIOCore

/// Splits a server's input into command lines of at most `maximumLength` octets, CRLF included
/// (RFC 5321 §4.5.3.1.4: 512). A longer line is discarded up to its end and reported once, so
/// the session can answer `500 5.5.6` and read on in step with the client. A bare LF is accepted
/// as a line end for commands (never inside DATA, see `SMTPDataReader`).
struct SMTPCommandLineParser {
    enum Line: Equatable {
        case line(String)
        case tooLong
    }

    let maximumLength: Int
    private var discarding = false

    /// Whether an over-long line is being skipped.
    var isDiscarding: Bool { discarding }

    init(maximumLength: Int) {
        self.maximumLength = max(8, maximumLength)
    }

    /// The next line or over-long-line report, or `nil` when more bytes are needed.
    mutating func next(_ buffer: inout ByteBuffer) -> Line? {
        let view = buffer.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if discarding || view.count >= maximumLength {
                discarding = true
                buffer.moveReaderIndex(forwardBy: view.count)
            }
            return nil
        }
        let length = newline - view.startIndex + 1
        if discarding || length > maximumLength {
            discarding = false
            buffer.moveReaderIndex(forwardBy: length)
            return .tooLong
        }
        var bytes = view[view.startIndex..<newline]
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        buffer.moveReaderIndex(forwardBy: length)
        return .line(String(decoding: bytes, as: UTF8.self))
    }
}
