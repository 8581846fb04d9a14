/// A parsed `Content-Disposition` (RFC 2183): `inline` or `attachment` and parameters.
public struct MIMEContentDisposition: Sendable, Hashable {
    /// The disposition type, lowercased: `inline`, `attachment` or an extension.
    public var type: String
    /// Parameters by lowercased name, with RFC 2231 extended values decoded.
    public var parameters: [String: String]

    /// A disposition; the type is lowercased, parameter names must already be.
    public init(type: String, parameters: [String: String] = [:]) {
        self.type = ASCII.lowercased(type)
        self.parameters = parameters
    }

    /// Parses a header value such as `attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf`.
    public init(parsing value: String) {
        let head = value.prefix { $0 != ";" }
        self.init(type: ASCII.trimmed(head), parameters: MIMEParameters.parse(value.dropFirst(head.count)))
    }

    /// Whether the type is `attachment`.
    public var isAttachment: Bool { type == "attachment" }

    /// The `filename` parameter, if any.
    public var filename: String? { parameters["filename"] }
}
