import Foundation

/// The channels an application-to-person message travels on, each of which passes the policy gate.
public enum MessagingChannel: String, Sendable, Codable, CaseIterable {
    case sms
    case email
    case whatsapp

    /// How recipients of this channel are written: E.164 numbers for SMS and WhatsApp, addresses for email.
    var recipientKind: BlindIndexKind { self == .email ? .emailAddress : .phoneNumber }

    /// Parses `sms`, `email` or `whatsapp` in any case.
    public init(parsing text: String) throws(PolicyError) {
        guard let channel = MessagingChannel(rawValue: text.lowercased()) else {
            throw .invalid("channel must be one of sms, email, whatsapp.", target: "channel")
        }
        self = channel
    }
}

/// Recipients and senders in the one canonical form the ledger, the opt-outs and the gate compare: E.164 numbers
/// without punctuation, lower-case email addresses.
public enum MessagingAddress {
    /// An E.164 number (`+` and 7–15 digits, the first not 0), with spaces, dashes, dots and parentheses removed.
    public static func phoneNumber(_ text: String) -> String? {
        let compact = text.filter { !" -.()\t".contains($0) }
        guard compact.first == "+" else { return nil }
        let digits = compact.dropFirst()
        guard (7...15).contains(digits.count), digits.allSatisfy(\.isASCIIDigit), digits.first != "0" else { return nil }
        return compact
    }

    /// A mailbox `local@domain.tld`, lower-cased, at most 254 characters.
    public static func emailAddress(_ text: String) -> String? {
        let address = text.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard address.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64,
            parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            !address.contains(where: { $0.isWhitespace || $0.isNewline || "<>()[],;:\\\"".contains($0) })
        else { return nil }
        return address
    }

    /// A recipient of `channel` in canonical form; 400 naming `target` when it is not one.
    public static func recipient(_ text: String, channel: MessagingChannel, target: String) throws(PolicyError) -> String {
        switch channel {
        case .email:
            guard let address = emailAddress(text) else { throw .invalid("'\(target)' must be an email address.", target: target) }
            return address
        case .sms, .whatsapp:
            guard let number = phoneNumber(text) else {
                throw .invalid("'\(target)' must be a phone number in E.164 format, e.g. +14255550123.", target: target)
            }
            return number
        }
    }

    /// A recipient of any channel (an opt-out without a channel): a phone number or an email address.
    public static func anyRecipient(_ text: String, target: String) throws(PolicyError) -> String {
        if let number = phoneNumber(text) { return number }
        if let address = emailAddress(text) { return address }
        throw .invalid("'\(target)' must be a phone number in E.164 format or an email address.", target: target)
    }

    static func indexKind(of recipient: String) -> BlindIndexKind {
        recipient.hasPrefix("+") ? .phoneNumber : .emailAddress
    }

    static func subject(of recipient: String) -> SubjectIdentifier {
        recipient.hasPrefix("+") ? .phoneNumber(recipient) : .emailAddress(recipient)
    }

    /// A recipient as decisions record it: enough to tell records apart, not enough to read the number or address
    /// (`+1•••••••23`, `j•••@example.com`).
    public static func masked(_ recipient: String) -> String {
        if recipient.hasPrefix("+") {
            return String(recipient.prefix(2)) + String(repeating: "•", count: max(0, recipient.count - 4)) + String(recipient.suffix(2))
        }
        guard let at = recipient.firstIndex(of: "@") else { return "•••" }
        return String(recipient.prefix(1)) + "•••" + String(recipient[at...])
    }
}

/// Who a message is sent from: the thing the spoofing rule checks and a program claims.
public struct MessagingSender: Sendable, Hashable {
    public enum Kind: String, Sendable {
        /// An E.164 number (SMS).
        case phoneNumber
        /// An alphanumeric sender id of 1–11 letters, digits and spaces, at least one a letter (SMS).
        case alphanumeric
        /// A sender address `username@domain` (email).
        case emailAddress
        /// A WhatsApp channel registration id (a GUID).
        case whatsappChannel
    }

    public let kind: Kind
    /// As written in the program (an alphanumeric id keeps its case).
    public let value: String

    /// Case-insensitive identity of the sender within a resource.
    public var key: String { value.lowercased() }

    public var channel: MessagingChannel {
        switch kind {
        case .phoneNumber, .alphanumeric: .sms
        case .emailAddress: .email
        case .whatsappChannel: .whatsapp
        }
    }

    /// Recognises the kind of sender by its form.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.contains("@") {
            guard let address = MessagingAddress.emailAddress(trimmed) else { return nil }
            (kind, value) = (.emailAddress, address)
        } else if trimmed.hasPrefix("+") {
            guard let number = MessagingAddress.phoneNumber(trimmed) else { return nil }
            (kind, value) = (.phoneNumber, number)
        } else if let id = UUID(uuidString: trimmed) {
            (kind, value) = (.whatsappChannel, id.uuidString.lowercased())
        } else if (1...11).contains(trimmed.count), trimmed.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == " " }),
            trimmed.contains(where: \.isLetter)
        {
            (kind, value) = (.alphanumeric, trimmed)
        } else {
            return nil
        }
    }

    /// A sender of `channel`; 400 naming `target` when the text is no sender of that channel.
    public static func parse(_ text: String, channel: MessagingChannel, target: String) throws(PolicyError) -> MessagingSender {
        guard let sender = MessagingSender(parsing: text), sender.channel == channel else {
            let expected =
                switch channel {
                case .sms: "a phone number in E.164 format or an alphanumeric sender id"
                case .email: "a sender address"
                case .whatsapp: "a WhatsApp channel registration id"
                }
            throw .invalid("'\(target)' must be \(expected).", target: target)
        }
        return sender
    }
}
