import NIOCore

/// Incremental parser for server replies (RFC 5321 §4.2), shared by `SMTPReplyDecoder` and the
/// client's channel handler.
///
/// Lines end in CRLF (a bare LF is tolerated). Each line is `ddd`, `ddd text` (last line) or
/// `ddd-text` (more lines follow), with the first digit 2–5 and the second 0–5; every line of a
/// reply must carry the same code. Lines and replies are bounded so a hostile peer cannot make
/// the client buffer without limit.
struct SMTPReplyParser {
    /// RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; servers exceed it in practice, so
    /// the default is liberal but bounded.
    static let defaultMaximumLineLength = 2048
    static let defaultMaximumLines = 128

    let maximumLineLength: Int
    let maximumLines: Int
    private var pendingCode: Int?
    private var pendingLines: [String] = []

    init(maximumLineLength: Int = defaultMaximumLineLength, maximumLines: Int = defaultMaximumLines) {
        self.maximumLineLength = max(8, maximumLineLength)
        self.maximumLines = max(1, maximumLines)
    }

    /// Whether part of a multi-line reply has been read and its last line has not.
    var hasPartialReply: Bool { pendingCode != nil }

    /// Consumes complete lines from `buffer` and returns the first complete reply, or `nil` when
    /// more bytes are needed (the incomplete line stays in `buffer`).
    mutating func parse(_ buffer: inout ByteBuffer) throws(SMTPCodecError) -> SMTPReply? {
        while let line = try Self.readLine(from: &buffer, maximumLength: maximumLineLength) {
            let (code, isLast, text) = try Self.split(line)
            if let pendingCode, pendingCode != code {
                throw .malformedReply("reply code changed from \(pendingCode) to \(code) within one reply")
            }
            pendingCode = code
            pendingLines.append(text)
            if isLast {
                let reply = SMTPReply(code: code, lines: pendingLines)
                pendingCode = nil
                pendingLines = []
                return reply
            }
            if pendingLines.count >= maximumLines {
                throw .tooManyReplyLines(limit: maximumLines)
            }
        }
        return nil
    }

    /// The next line without its line ending, or `nil` when no full line is buffered.
    static func readLine(from buffer: inout ByteBuffer, maximumLength: Int) throws(SMTPCodecError) -> ByteBuffer? {
        let view = buffer.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if view.count >= maximumLength { throw .lineTooLong(limit: maximumLength) }
            return nil
        }
        let length = newline - view.startIndex + 1
        if length > maximumLength { throw .lineTooLong(limit: maximumLength) }
        var line = buffer.readSlice(length: length)!
        line.moveWriterIndex(to: line.writerIndex - 1)
        if line.readableBytesView.last == UInt8(ascii: "\r") {
            line.moveWriterIndex(to: line.writerIndex - 1)
        }
        return line
    }

    private static func split(_ line: ByteBuffer) throws(SMTPCodecError) -> (code: Int, isLast: Bool, text: String) {
        let bytes = line.readableBytesView
        guard bytes.count >= 3 else { throw .malformedReply("line shorter than a reply code") }
        let start = bytes.startIndex
        let digits = [bytes[start], bytes[start + 1], bytes[start + 2]]
        guard (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(digits[0]),
            (UInt8(ascii: "0")...UInt8(ascii: "5")).contains(digits[1]),
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digits[2])
        else { throw .malformedReply("line does not start with a reply code") }
        let code = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard bytes.count > 3 else { return (code, true, "") }
        let separator = bytes[start + 3]
        guard separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else {
            throw .malformedReply("reply code \(code) followed by neither space nor hyphen")
        }
        let text = String(decoding: bytes[(start + 4)...], as: UTF8.self)
        return (code, separator == UInt8(ascii: " "), text)
    }
}
