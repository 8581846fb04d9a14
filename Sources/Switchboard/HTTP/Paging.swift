import Foundation

/// The one pagination scheme of the API: a page of items with an absolute `nextLink` that carries the original
/// query and an opaque `continuationToken`. The SDKs follow the link as given (replacing only `api-version`).
public struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    public let value: [Item]
    public let nextLink: String?

    public init(value: [Item], nextLink: String?) {
        self.value = value
        self.nextLink = nextLink
    }
}

/// Page sizes and continuation tokens.
public enum Paging {
    /// `maxPageSize` (or another name) from the query: `defaultSize` when absent, 400 outside `1...maximum`.
    public static func pageSize(_ request: APIRequest, name: String = "maxPageSize", defaultSize: Int, maximum: Int) throws
        -> Int
    {
        guard let text = request.query[name] else { return defaultSize }
        guard let size = digits(text), size >= 1 else {
            throw APIError.badRequest(code: "InvalidPageSize", "\(name) must be a positive integer.", target: name)
        }
        return min(size, maximum)
    }

    /// `skip` from the query: 0 when absent, 400 when negative or not a number. Values past ``maximumSkip`` mean the
    /// same as ``maximumSkip`` (an empty page), so arithmetic on a skip can never overflow.
    public static func skip(_ request: APIRequest) throws -> Int {
        guard let text = request.query["skip"] else { return 0 }
        guard let skip = digits(text) else {
            throw APIError.badRequest(code: "InvalidSkip", "skip must be a non-negative integer.", target: "skip")
        }
        return min(skip, maximumSkip)
    }

    /// An integer query parameter that must lie in `range`: `nil` when absent, 400 with `code` naming it when it is
    /// not an integer of ASCII digits or lies outside the range (a huge value is out of range, not ignored).
    public static func integer(_ request: APIRequest, _ name: String, in range: ClosedRange<Int>, code: String) throws -> Int? {
        guard let text = request.query[name] else { return nil }
        guard let value = digits(text), range.contains(value) else {
            throw APIError.badRequest(
                code: code, "\(name) must be an integer between \(range.lowerBound) and \(range.upperBound).", target: name)
        }
        return value
    }

    /// A non-negative integer written in ASCII digits only (no sign, no other script's digits); one too large for
    /// `Int` saturates at `Int.max`, so it reads as out of any range rather than as absent.
    static func digits(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text) ?? Int.max
    }

    /// Far beyond any list a skip applies to (participants, read receipts), and far from `Int.max`.
    public static let maximumSkip = 1 << 32

    /// A date-time query parameter, 400 when it is not RFC 3339.
    public static func date(_ request: APIRequest, _ name: String) throws -> Date? {
        guard let text = request.query[name], !text.isEmpty else { return nil }
        guard let date = APIDate.parse(text) else {
            throw APIError.badRequest(code: "InvalidDateTime", "\(name) must be an RFC 3339 date-time.", target: name)
        }
        return date
    }

    /// The cursor of the request's `continuationToken`, or `nil` for a first page.
    public static func cursor<Cursor: Decodable>(_ request: APIRequest, as type: Cursor.Type) throws -> Cursor? {
        guard let token = request.query["continuationToken"], !token.isEmpty else { return nil }
        guard let data = Base64URL.decode(token), let cursor = try? JSONBody.decoder.decode(type, from: data) else {
            throw APIError.badRequest(
                code: "InvalidContinuationToken", "The continuation token is not valid.", target: "continuationToken")
        }
        return cursor
    }

    /// The link to the next page: the request's path and query with `continuationToken` set to `cursor`.
    public static func nextLink(_ request: APIRequest, path: String, cursor: some Encodable, keeping names: [String])
        -> String
    {
        let token = (try? JSONBody.encoder.encode(cursor)).map { Base64URL.encode($0) } ?? ""
        var items = names.compactMap { name in request.query[name].map { URLQueryItem(name: name, value: $0) } }
        items.append(URLQueryItem(name: "continuationToken", value: token))
        items.append(URLQueryItem(name: "api-version", value: request.apiVersion.rawValue))
        var components = URLComponents()
        components.queryItems = items
        let query = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B") ?? ""
        return "\(request.endpoint)\(path)?\(query)"
    }

    /// Percent-encodes one path segment (thread ids hold `:` and `@`).
    public static func segment(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? value
    }
}
