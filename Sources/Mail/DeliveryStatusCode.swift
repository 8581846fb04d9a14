/// An enhanced mail system status code (RFC 3463): `class.subject.detail`, such as `5.1.1`.
public struct DeliveryStatusCode: Sendable, Hashable, CustomStringConvertible {
    /// The class: what the code says about the outcome as a whole.
    public enum Class: Int, Sendable, Hashable, CaseIterable {
        /// `2.X.X`: the message was delivered or relayed.
        case success = 2
        /// `4.X.X`: delivery failed for now; it may succeed if tried again.
        case persistentTransientFailure = 4
        /// `5.X.X`: delivery failed and will not succeed as the message stands.
        case permanentFailure = 5
    }

    /// The class (2, 4 or 5).
    public var statusClass: Class
    /// The subject (0–999): `1` addressing, `2` mailbox, `3` mail system, `4` network and routing,
    /// `5` delivery protocol, `6` content, `7` security or policy.
    public var subject: Int
    /// The detail (0–999) within the subject.
    public var detail: Int

    /// A code from its three numbers; nil when `subject` or `detail` is outside 0–999.
    public init?(_ statusClass: Class, subject: Int, detail: Int) {
        guard (0...999).contains(subject), (0...999).contains(detail) else { return nil }
        self.statusClass = statusClass
        self.subject = subject
        self.detail = detail
    }

    /// Parses `class.subject.detail` (`DIGIT "." 1*3DIGIT "." 1*3DIGIT`). Whitespace around the code
    /// and anything after it that is set off by whitespace or a comment (`5.1.1 (unknown user)`) are
    /// ignored. Returns nil for anything else, including a class other than 2, 4 and 5.
    public init?(_ text: some StringProtocol) {
        let trimmed = ASCII.trimmed(text)
        let code = trimmed.prefix { $0 != " " && $0 != "\t" && $0 != "(" }
        let numbers = code.split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 3, numbers[0].count == 1,
            numbers.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let first = Int(numbers[0]), let statusClass = Class(rawValue: first), let subject = Int(numbers[1]),
            let detail = Int(numbers[2])
        else { return nil }
        self.init(statusClass, subject: subject, detail: detail)
    }

    /// Finds an enhanced code in the text of an SMTP reply, such as `550 5.1.1 <a@b>: User unknown`
    /// or `550-5.1.1 The email account…`; else derives `X.0.0` from a reply code's first digit
    /// (`421` gives `4.0.0`). Returns nil when the text has neither.
    public init?(smtpReply text: String) {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        for word in words.prefix(4) {
            // A reply line's code and its enhanced code are joined by "-" on continuation lines.
            for piece in word.split(separator: "-") where piece.contains(".") {
                if let code = DeliveryStatusCode(piece) {
                    self = code
                    return
                }
            }
        }
        guard let first = words.first, first.count >= 3, let digit = first.first?.wholeNumberValue,
            first.prefix(3).allSatisfy({ $0.isASCII && $0.isNumber }), let statusClass = Class(rawValue: digit)
        else { return nil }
        self.init(statusClass, subject: 0, detail: 0)
    }

    /// `class.subject.detail`, such as `5.1.1`.
    public var description: String { "\(statusClass.rawValue).\(subject).\(detail)" }

    /// Whether the class is 5: the failure is permanent.
    public var isPermanentFailure: Bool { statusClass == .permanentFailure }
    /// Whether the class is 4: the failure may clear up.
    public var isTransientFailure: Bool { statusClass == .persistentTransientFailure }
    /// Whether the class is 2.
    public var isSuccess: Bool { statusClass == .success }
}
