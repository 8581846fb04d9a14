import HTTPTypes

/// What the policy's own APIs refuse (not the gate's decisions, which are answers, not errors).
public enum PolicyError: Error, Equatable, Sendable, APIErrorConvertible {
    case invalid(String, target: String?)
    case programNotFound(String)
    case senderInUse(sender: String, program: String)
    case senderNotOwned(String, target: String)
    /// Double opt-in needs a confirmation message with this field in it.
    case incompleteConfirmation(field: String)
    case noConfirmationSender(program: String, channel: MessagingChannel)
    case ruleNotFound(String)
    case consentNotFound

    public var apiError: APIError {
        switch self {
        case .invalid(let message, let target):
            .badRequest(code: "InvalidRequest", message, target: target)
        case .programNotFound(let id):
            .notFound(code: "ProgramNotFound", "There is no messaging program '\(id)'.", target: "programId")
        case .senderInUse(let sender, let program):
            .conflict(
                code: "SenderInUse",
                "The sender \(sender) belongs to the program '\(program)'; a sender belongs to at most one program.", target: "senders")
        case .senderNotOwned(let sender, let target):
            .badRequest(code: "SenderNotOwned", "The resource does not own the sender \(sender).", target: target)
        case .incompleteConfirmation(let field):
            .badRequest(
                code: "IncompleteConfirmationMessage",
                "Double opt-in needs '\(field)': the confirmation message must state the sender's identity, the program's "
                    + "description, its frequency and fees, and how to get help and opt out.",
                target: field)
        case .noConfirmationSender(let program, let channel):
            .badRequest(
                code: "NoConfirmationSender",
                "The program '\(program)' needs double opt-in but has no \(channel.rawValue) sender to send the confirmation from.",
                target: "programId")
        case .ruleNotFound(let id):
            .notFound(code: "ContentRuleNotFound", "There is no content rule '\(id)'.", target: "ruleId")
        case .consentNotFound:
            .notFound(code: "ConsentNotFound", "The confirmation link is not valid or was already used.")
        }
    }
}
