import Foundation

/// A request's query parameters, percent-decoded, the first of repeated names winning: the one parser every
/// endpoint uses (API routes, the server's own routes, the real-time endpoint).
public struct QueryParameters: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    private let values: [String: String]

    /// Parses the query of a request target (`/path?a=1&b=2`) or a bare query (`a=1&b=2`).
    public init(target: String) {
        let query: Substring
        if let mark = target.firstIndex(of: "?") {
            query = target[target.index(after: mark)...]
        } else {
            query = target.contains("/") ? "" : target[...]
        }
        var values: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            guard !name.isEmpty, values[name] == nil else { continue }
            values[name] = parts.count > 1 ? Self.decode(parts[1]) : ""
        }
        self.values = values
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        values = Dictionary(elements, uniquingKeysWith: { first, _ in first })
    }

    public subscript(name: String) -> String? { values[name] }

    /// The names present, sorted (links that carry a request's query on keep a stable order).
    public var names: [String] { values.keys.sorted() }

    /// `%XX` is decoded; text that does not decode is kept as sent. A `+` stays a `+` (the SDKs encode spaces as
    /// `%20`, and a date's `+00:00` offset sent unencoded must survive).
    static func decode(_ text: Substring) -> String {
        text.removingPercentEncoding ?? String(text)
    }
}
