import Foundation

/// A point in time as stored: milliseconds since 1970 in a 64-bit integer, the same on both engines.
public struct Timestamp: Sendable, Hashable, Comparable, Codable {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public init(_ date: Date) {
        self.milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    public var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }

    public func adding(seconds: Int64) -> Timestamp { Timestamp(milliseconds: milliseconds + seconds * 1000) }

    /// This time plus `duration`, to the millisecond (truncated).
    public func adding(_ duration: Duration) -> Timestamp { Timestamp(milliseconds: milliseconds + duration.milliseconds) }

    /// This time minus `duration`.
    public func subtracting(_ duration: Duration) -> Timestamp { Timestamp(milliseconds: milliseconds - duration.milliseconds) }

    /// The time from `other` to this one.
    public func duration(since other: Timestamp) -> Duration { .milliseconds(milliseconds - other.milliseconds) }

    public init(from decoder: any Decoder) throws {
        self.milliseconds = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(milliseconds)
    }
}
