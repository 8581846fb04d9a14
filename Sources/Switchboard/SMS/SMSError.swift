/// What the SMS APIs refuse as a whole (a recipient's refusal is a per-recipient result, not an error).
public enum SMSError: Error, Equatable, Sendable, APIErrorConvertible {
    case invalid(String, target: String?)
    case messageTooLong(limit: Int)
    case senderNotFound(String)
    case numberNotHeld(String)

    public var apiError: APIError {
        switch self {
        case .invalid(let message, let target):
            .badRequest(code: "InvalidRequest", message, target: target)
        case .messageTooLong(let limit):
            .badRequest(code: "MessageTooLong", "The message is longer than \(limit) characters.", target: "message")
        case .senderNotFound(let id):
            .notFound(code: "SenderNotFound", "There is no alphanumeric sender id '\(id)'.", target: "senderId")
        case .numberNotHeld(let number):
            .notFound(code: "PhoneNumberNotFound", "The resource holds no phone number \(number).", target: "to")
        }
    }
}
