import Foundation

/// A receipt date (`YYMMDDhhmm`, or `YYMMDDhhmmss` from SMSCs that add seconds).
///
/// Kept as wall-clock fields because Appendix B dates carry no time zone: the product decides
/// which zone its SMSC reports in and converts with `date(utcOffsetSeconds:)`.
public struct ReceiptTimestamp: Hashable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// Parses 10 (`YYMMDDhhmm`), 12 (`YYMMDDhhmmss`) or 14 (`YYYYMMDDhhmmss`) digits; two-digit
    /// years are 20YY. Returns nil for anything else or for out-of-range fields.
    public init?(receiptField: some StringProtocol) {
        let digits = receiptField.unicodeScalars.compactMap { scalar -> Int? in
            guard ("0"..."9").contains(scalar) else { return nil }
            return Int(scalar.value) - 48
        }
        guard digits.count == receiptField.unicodeScalars.count else { return nil }
        func number(_ start: Int, _ length: Int) -> Int {
            digits[start..<start + length].reduce(0) { $0 * 10 + $1 }
        }
        switch digits.count {
        case 10, 12:
            self.init(
                year: 2000 + number(0, 2), month: number(2, 2), day: number(4, 2),
                hour: number(6, 2), minute: number(8, 2), second: digits.count == 12 ? number(10, 2) : 0)
        case 14:
            self.init(
                year: number(0, 4), month: number(4, 2), day: number(6, 2),
                hour: number(8, 2), minute: number(10, 2), second: number(12, 2))
        default:
            return nil
        }
        guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour),
            (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
    }

    /// The UTC wall-clock fields of `date`.
    public init(date: Date) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Civil-from-days (Howard Hinnant's algorithm), valid for the proleptic Gregorian calendar.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        self.init(
            year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day,
            hour: secondOfDay / 3_600, minute: secondOfDay % 3_600 / 60, second: secondOfDay % 60)
    }

    /// The instant these fields denote in a zone `utcOffsetSeconds` east of UTC.
    public func date(utcOffsetSeconds: Int = 0) -> Date {
        let adjustedYear = month <= 2 ? year - 1 : year
        let era = (adjustedYear >= 0 ? adjustedYear : adjustedYear - 399) / 400
        let yearOfEra = adjustedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - utcOffsetSeconds
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// `YYMMDDhhmm`, the Appendix B form.
    public var receiptField: String {
        [year % 100, month, day, hour, minute].map(Self.twoDigits).joined()
    }

    public var description: String { receiptField }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
