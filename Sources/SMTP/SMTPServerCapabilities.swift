/// What a server announced in its EHLO reply (RFC 5321 §4.1.1.1): one keyword per line after the
/// first, with optional space-separated parameters.
public struct SMTPServerCapabilities: Sendable, Equatable {
    /// Every keyword, upper-cased, with its parameters as sent.
    public var keywords: [String: [String]]
    /// Whether the server answered EHLO (false after a fall-back to HELO: no extensions).
    public var isExtended: Bool

    /// Capabilities from raw keywords.
    public init(keywords: [String: [String]] = [:], isExtended: Bool = true) {
        self.keywords = keywords
        self.isExtended = isExtended
    }

    /// Parses a positive EHLO reply; its first line (the server's name) is not a keyword.
    public init(ehloReply reply: SMTPReply) {
        var keywords: [String: [String]] = [:]
        for line in reply.lines.dropFirst() {
            var words = line.split(separator: " ").map(String.init)
            guard !words.isEmpty else { continue }
            var keyword = words.removeFirst().uppercased()
            // Some servers also send the pre-standard `AUTH=PLAIN LOGIN` form.
            if keyword.hasPrefix("AUTH=") {
                words.insert(String(keyword.dropFirst(5)), at: 0)
                keyword = "AUTH"
            }
            keywords[keyword, default: []].append(contentsOf: words)
        }
        self.init(keywords: keywords)
    }

    /// The keyword is present.
    public func has(_ keyword: String) -> Bool { keywords[keyword.uppercased()] != nil }

    /// PIPELINING (RFC 2920).
    public var pipelining: Bool { has("PIPELINING") }
    /// The SIZE limit in octets (RFC 1870); `nil` when not advertised or advertised as 0 (no
    /// fixed limit).
    public var size: Int? {
        guard let value = keywords["SIZE"]?.first.flatMap({ Int($0) }), value > 0 else { return nil }
        return value
    }
    /// SIZE is advertised (with or without a limit), so MAIL may carry `SIZE=`.
    public var sizeDeclaration: Bool { has("SIZE") }
    /// 8BITMIME (RFC 6152).
    public var eightBitMIME: Bool { has("8BITMIME") }
    /// SMTPUTF8 (RFC 6531).
    public var smtpUTF8: Bool { has("SMTPUTF8") }
    /// STARTTLS (RFC 3207).
    public var startTLS: Bool { has("STARTTLS") }
    /// ENHANCEDSTATUSCODES (RFC 2034).
    public var enhancedStatusCodes: Bool { has("ENHANCEDSTATUSCODES") }
    /// DSN (RFC 3461).
    public var dsn: Bool { has("DSN") }
    /// AUTH mechanisms (RFC 4954), upper-cased.
    public var authMechanisms: Set<String> { Set((keywords["AUTH"] ?? []).map { $0.uppercased() }) }
}
