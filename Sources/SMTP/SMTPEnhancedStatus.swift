/// An enhanced mail system status code (RFC 3463), carried at the start of reply text when the
/// server advertises ENHANCEDSTATUSCODES (RFC 2034): `class.subject.detail`, such as `5.1.1`.
public struct SMTPEnhancedStatus: Sendable, Hashable, CustomStringConvertible {
    /// 2 (success), 4 (persistent transient failure) or 5 (permanent failure).
    public var klass: Int
    /// The subject: 0 through 999 (0 other, 1 addressing, 2 mailbox, 3 mail system, …).
    public var subject: Int
    /// The detail within the subject: 0 through 999.
    public var detail: Int

    /// A status from its three parts; `klass` is expected to be 2, 4 or 5.
    public init(_ klass: Int, _ subject: Int, _ detail: Int) {
        self.klass = klass
        self.subject = subject
        self.detail = detail
    }

    /// Parses `x.y.z` where x is 2, 4 or 5 and y and z have one to three digits; `nil` otherwise.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            parts[0].count == 1, let klass = Int(parts[0]), [2, 4, 5].contains(klass),
            (1...3).contains(parts[1].count), parts[1].allSatisfy(\.isASCIIDigit), let subject = Int(parts[1]),
            (1...3).contains(parts[2].count), parts[2].allSatisfy(\.isASCIIDigit), let detail = Int(parts[2])
        else { return nil }
        self.init(klass, subject, detail)
    }

    /// `class.subject.detail`, for example `5.1.1`.
    public var description: String { "\(klass).\(subject).\(detail)" }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
