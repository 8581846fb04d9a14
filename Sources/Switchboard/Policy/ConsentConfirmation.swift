import Foundation

/// The double opt-in confirmation Switchboard sends itself when consent to such a program is recorded: everything
/// the messaging policy lists for it — the sender's identity, a brief description of the program, the notice that
/// it is a recurring program, its frequency and fees, HELP and STOP instructions — and how to confirm.
///
/// It is queued in the outbox as a row of kind ``kind(for:)`` with the channel as target; the channel's handler sends it.
/// Until that channel is configured, the row waits.
public struct ConsentConfirmation: Sendable, Codable, Equatable {
    /// The prefix of the kinds of confirmation rows: each channel's handler takes its own,
    /// ``kind(for:)`` (`messaging.confirmation.sms`).
    public static let kind = "messaging.confirmation"

    /// The outbox kind of the confirmations of `channel`.
    public static func kind(for channel: MessagingChannel) -> String { "\(kind).\(channel.rawValue)" }

    public let consentId: String
    public let channel: MessagingChannel
    public let from: String
    public let to: String
    public let subject: String?
    public let text: String
    /// The confirmation link (email); SMS and WhatsApp recipients reply YES.
    public let confirmationUrl: String?
    /// The program the consent is to (absent from confirmations queued before it was recorded).
    public var programId: String? = nil

    static func make(
        consentID: String, program: MessagingProgram, channel: MessagingChannel, from: MessagingSender, to recipient: String,
        confirmationURL: String?
    ) -> ConsentConfirmation {
        let identity = program.thirdParty.map { "\(program.name), for \($0)" } ?? program.name
        let about = [
            "You asked to receive messages from \(identity): \(program.description ?? program.name).",
            "This is a recurring message program. \(program.frequency ?? "")",
            program.fees ?? "",
        ].map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
        switch channel {
        case .sms, .whatsapp:
            return ConsentConfirmation(
                consentId: consentID, channel: channel, from: from.value, to: recipient, subject: nil,
                text: "\(about) Reply YES to confirm. Reply HELP for help, STOP to cancel.", confirmationUrl: nil, programId: program.id)
        case .email:
            let link = confirmationURL ?? ""
            let help = program.helpText.map { "Help: \($0)" } ?? ""
            let text = [
                about, "Confirm your subscription: \(link)", help,
                "If you did not ask for this, ignore this message: nothing more will be sent. You can unsubscribe from every message at any time.",
            ].filter { !$0.isEmpty }.joined(separator: "\n\n")
            return ConsentConfirmation(
                consentId: consentID, channel: channel, from: from.value, to: recipient, subject: "Confirm your subscription to \(program.name)",
                text: text, confirmationUrl: link, programId: program.id)
        }
    }
}
