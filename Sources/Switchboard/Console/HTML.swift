import Foundation

/// A fragment of HTML. Text interpolated into one is escaped; only another `HTML` value goes in as it is, so markup
/// can only come from the console's own code, never from a message, a header or an identifier it shows.
///
/// ```swift
/// let row: HTML = "<td>\(subject)</td>"   // subject is a String: escaped
/// let page: HTML = "<tr>\(row)</tr>"      // row is HTML: inserted as is
/// ```
public struct HTML: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public private(set) var markup: String

    public init(stringLiteral value: String) { markup = value }

    public init(stringInterpolation: Interpolation) { markup = stringInterpolation.markup }

    /// Markup from a trusted source (the console's assets), not escaped.
    init(trusted markup: String) { self.markup = markup }

    public var description: String { markup }

    public static let empty = HTML(trusted: "")

    /// Fragments one after the other.
    public static func join<S: Sequence>(_ fragments: S, separator: HTML = .empty) -> HTML where S.Element == HTML {
        HTML(trusted: fragments.map(\.markup).joined(separator: separator.markup))
    }

    /// Escapes text for an element's content or a quoted attribute value.
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            // Control characters have no place in a page (a NUL in a header would end it early in some parsers).
            case "\u{0}"..."\u{8}", "\u{B}", "\u{C}", "\u{E}"..."\u{1F}", "\u{7F}": escaped += "\u{FFFD}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    public struct Interpolation: StringInterpolationProtocol {
        var markup = ""

        public init(literalCapacity: Int, interpolationCount: Int) {
            markup.reserveCapacity(literalCapacity + interpolationCount * 16)
        }

        public mutating func appendLiteral(_ literal: String) { markup += literal }

        /// Text: escaped.
        public mutating func appendInterpolation(_ text: String) { markup += HTML.escape(text) }

        /// Text or nothing.
        public mutating func appendInterpolation(_ text: String?) { if let text { markup += HTML.escape(text) } }

        public mutating func appendInterpolation(_ number: Int) { markup += String(number) }

        /// Markup: as it is.
        public mutating func appendInterpolation(_ html: HTML) { markup += html.markup }

        public mutating func appendInterpolation(_ html: HTML?) { if let html { markup += html.markup } }

        /// A time, as `2026-12-02 08:45:21 UTC` (the console shows UTC, as the API does).
        public mutating func appendInterpolation(_ date: Date) { markup += HTML.escape(ConsoleFormat.time(date)) }
    }
}

/// How the console writes times, counts and shares.
enum ConsoleFormat {
    static func time(_ date: Date) -> String {
        let text = APIDate.format(date)  // 2026-12-02T08:45:21Z (or with fractions)
        let trimmed = text.split(separator: ".").first.map(String.init) ?? text
        return trimmed.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "") + " UTC"
    }

    static func percent(_ share: Double) -> String {
        String(format: "%.1f%%", share * 100)
    }

    static func bytes(_ count: Int) -> String {
        if count < 1024 { return "\(count) B" }
        if count < 1024 * 1024 { return String(format: "%.1f KB", Double(count) / 1024) }
        return String(format: "%.1f MB", Double(count) / 1024 / 1024)
    }
}
