/// A parsed `Content-Type` (RFC 2045 §5): type, subtype and parameters.
public struct MIMEContentType: Sendable, Hashable, CustomStringConvertible {
    /// The top-level type, lowercased (`text`, `multipart`, `image`, …).
    public var type: String
    /// The subtype, lowercased (`plain`, `mixed`, `png`, …).
    public var subtype: String
    /// Parameters by lowercased name, with RFC 2231 extended values and continuations decoded.
    public var parameters: [String: String]

    /// A content type; type and subtype are lowercased, parameter names must already be.
    public init(type: String, subtype: String, parameters: [String: String] = [:]) {
        self.type = ASCII.lowercased(type)
        self.subtype = ASCII.lowercased(subtype)
        self.parameters = parameters
    }

    /// Parses a header value such as `text/plain; charset="utf-8"`. Returns nil when there is no
    /// valid `type/subtype` (RFC 2045 then says to assume `text/plain; charset=us-ascii`).
    public init?(parsing value: String) {
        let head = value.prefix { $0 != ";" }
        let slash = head.split(separator: "/", maxSplits: 1)
        guard slash.count == 2 else { return nil }
        let type = ASCII.trimmed(slash[0])
        let subtype = ASCII.trimmed(slash[1].prefix { $0 != "(" })
        guard MIMEParameters.isToken(type), MIMEParameters.isToken(subtype) else { return nil }
        self.init(type: type, subtype: subtype, parameters: MIMEParameters.parse(value.dropFirst(head.count)))
    }

    /// The RFC 2045 default for a part without a (valid) Content-Type.
    public static let defaultText = MIMEContentType(type: "text", subtype: "plain", parameters: ["charset": "us-ascii"])

    /// `type/subtype`.
    public var mimeType: String { type + "/" + subtype }

    /// Whether this is a `multipart/*` type.
    public var isMultipart: Bool { type == "multipart" }

    /// The `charset` parameter, if any.
    public var charset: String? { parameters["charset"] }

    /// `type/subtype` followed by the parameters in name order, each as a token, quoted string or RFC 2231 value.
    public var description: String {
        mimeType + parameters.keys.sorted().map { MIMEParameters.render(name: $0, value: parameters[$0]!) }.joined()
    }
}
