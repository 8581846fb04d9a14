import Foundation

/// What a keyword a recipient writes asks for, read trimmed and in any case (the messaging policy's opt-out section):
/// the same words on every channel a recipient can write back on (SMS, WhatsApp).
public enum MessagingKeyword: Equatable, Sendable {
    case stop, start, yes, help

    public init?(_ text: String) {
        switch text.trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters)).uppercased() {
        case "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT": self = .stop
        case "START", "UNSTOP": self = .start
        case "YES": self = .yes
        case "HELP", "INFO": self = .help
        default: return nil
        }
    }
}
