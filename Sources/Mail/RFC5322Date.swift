import Foundation

/// RFC 5322 §3.3 date-time: formatting (always UTC, `+0000`) and lenient parsing.
public enum RFC5322Date {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static var utcCalendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }

    /// Formats a date as `Tue, 15 Nov 1994 08:12:31 +0000`.
    public static func format(_ date: Date) -> String {
        let parts = utcCalendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        func two(_ value: Int?) -> String {
            let number = value ?? 0
            return number < 10 ? "0\(number)" : "\(number)"
        }
        let weekday = days[((parts.weekday ?? 1) - 1) % 7]
        let month = months[((parts.month ?? 1) - 1) % 12]
        let time = "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second))"
        return "\(weekday), \(parts.day ?? 1) \(month) \(parts.year ?? 1970) \(time) +0000"
    }

    /// Parses a date-time leniently: optional day name, 2- or 4-digit year, optional seconds,
    /// numeric zones and the obsolete zone names (UT, GMT, EST, …; unknown names count as UTC),
    /// comments ignored. Returns nil when the fields are missing or out of range.
    public static func parse(_ text: String) -> Date? {
        var cleaned = ""
        var depth = 0
        for character in text {
            if character == "(" {
                depth += 1
            } else if character == ")" {
                depth = max(0, depth - 1)
            } else if depth == 0 {
                cleaned.append(character == "," ? " " : character)
            }
        }
        var tokens = cleaned.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }).map(String.init)
        if let first = tokens.first, first.first?.isLetter == true { tokens.removeFirst() }
        guard tokens.count >= 4, let day = Int(tokens[0]), (1...31).contains(day),
            let monthIndex = months.firstIndex(where: { $0.caseInsensitiveCompare(tokens[1].prefix(3)) == .orderedSame }),
            var year = Int(tokens[2])
        else { return nil }
        if tokens[2].count <= 2 { year += year < 50 ? 2000 : 1900 } else if tokens[2].count == 3 { year += 1900 }
        let time = tokens[3].split(separator: ":").map { Int($0) }
        guard time.count >= 2, time.allSatisfy({ $0 != nil }) else { return nil }
        let hour = time[0]!
        let minute = time[1]!
        let second = time.count > 2 ? time[2]! : 0
        guard (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return nil }
        let offset = tokens.count > 4 ? zoneOffset(tokens[4]) : 0
        var components = DateComponents()
        components.year = year
        components.month = monthIndex + 1
        components.day = day
        components.hour = hour
        components.minute = minute
        components.second = min(second, 59)
        guard let local = utcCalendar.date(from: components) else { return nil }
        return local.addingTimeInterval(TimeInterval(-offset))
    }

    /// The zone's offset from UTC in seconds.
    private static func zoneOffset(_ zone: String) -> Int {
        if let sign = zone.first, sign == "+" || sign == "-", zone.count == 5, let value = Int(zone.dropFirst()) {
            let seconds = (value / 100) * 3600 + (value % 100) * 60
            return sign == "-" ? -seconds : seconds
        }
        let named = ["EDT": -4, "EST": -5, "CDT": -5, "CST": -6, "MDT": -6, "MST": -7, "PDT": -7, "PST": -8]
        return (named[zone.uppercased()] ?? 0) * 3600
    }
}
