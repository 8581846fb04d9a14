/// One SMTP reply: a three-digit code and one or more lines of text (RFC 5321 §4.2).
///
/// `lines` hold the text after the code and its separator, one entry per reply line, so
/// `250-mx.example.test` / `250 PIPELINING` becomes code 250 with lines
/// `["mx.example.test", "PIPELINING"]`. A bare final line (`250`) has the text `""`.
public struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    /// The reply code, 200 through 599 on the wire.
    public var code: Int
    /// The text of each reply line, without the code, the separator or the line ending.
    public var lines: [String]

    /// A reply with the given code and lines (at least one line is always kept).
    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines.isEmpty ? [""] : lines
    }

    /// A one-line reply.
    public init(code: Int, _ text: String) {
        self.init(code: code, lines: [text])
    }

    /// A one-line reply whose text starts with an enhanced status code (RFC 2034), for example
    /// `SMTPReply(code: 550, status: SMTPEnhancedStatus(5, 1, 1), text: "No such user")`.
    public init(code: Int, status: SMTPEnhancedStatus, text: String) {
        self.init(code: code, lines: ["\(status) \(text)"])
    }

    /// The enhanced status code (RFC 3463) at the start of the first line's text, when present.
    public var enhancedStatus: SMTPEnhancedStatus? {
        guard let first = lines.first else { return nil }
        let token = first.prefix { $0 != " " }
        return SMTPEnhancedStatus(token)
    }

    /// The lines joined with a single space.
    public var text: String { lines.joined(separator: " ") }

    /// 2yz: the requested action was completed.
    public var isPositiveCompletion: Bool { (200..<300).contains(code) }
    /// 3yz: the command was accepted and the server waits for more (354 after DATA, 334 in AUTH).
    public var isPositiveIntermediate: Bool { (300..<400).contains(code) }
    /// 4yz: the command failed but the same request may succeed later.
    public var isTransientFailure: Bool { (400..<500).contains(code) }
    /// 5yz: the command failed and repeating it unchanged will fail again.
    public var isPermanentFailure: Bool { (500..<600).contains(code) }

    /// The reply as it would appear on the wire, lines separated by `|` (for logs and messages).
    public var description: String {
        lines.enumerated().map { index, line in
            "\(code)\(index == lines.count - 1 ? " " : "-")\(line)"
        }.joined(separator: " | ")
    }
}
