/// A family of operations with its own api-versions (Identity, Chat, …).
public struct APIService: Sendable, Hashable {
    public let name: String
    /// Every api-version accepted, oldest first; the last is the one the current SDK sends.
    public let versions: [String]

    public init(name: String, versions: [String]) {
        self.name = name
        self.versions = versions
    }

    /// The `api-supported-versions` header value.
    public var supportedVersionsHeader: String { versions.joined(separator: ", ") }
}

/// An api-version string, compared by its date (`2025-03-02-preview` is between `2023-10-01` and `2025-06-30`).
public struct APIVersion: Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    var date: Substring { rawValue.prefix(10) }

    public static func < (lhs: APIVersion, rhs: APIVersion) -> Bool {
        lhs.date != rhs.date ? lhs.date < rhs.date : (lhs.rawValue.hasSuffix("-preview") && !rhs.rawValue.hasSuffix("-preview"))
    }

    public static func == (lhs: APIVersion, rhs: APIVersion) -> Bool { lhs.rawValue == rhs.rawValue }

    /// Whether this version is on or after the date of `other` (previews of that date included).
    public func isAtLeast(_ other: String) -> Bool { date >= other.prefix(10) }
}
