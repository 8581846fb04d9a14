/// Failures of the Chat API, each with its status and stable code.
public enum ChatError: Error, APIErrorConvertible {
    case threadNotFound
    case messageNotFound
    case participantNotFound
    case notAParticipant
    case missingScope(String)
    case notTheSender
    case systemMessage
    case invalid(code: String, message: String, target: String)
    case tooManyParticipants(Int)
    case messageTooLarge(Int)
    case rateLimited(retryAfter: Int)

    public var apiError: APIError {
        switch self {
        case .threadNotFound:
            .notFound(code: "ThreadNotFound", "The chat thread does not exist or you are not a participant.")
        case .messageNotFound:
            .notFound(code: "MessageNotFound", "The message does not exist or is not visible to you.")
        case .participantNotFound:
            .notFound(code: "ParticipantNotFound", "The participant is not in the chat thread.")
        case .notAParticipant:
            .forbidden("You are no longer a participant of this chat thread: you can read its history up to your removal only.")
        case .missingScope(let action):
            .forbidden("The access token's scopes do not allow you to \(action).")
        case .notTheSender:
            .forbidden("Only the sender of a message may edit or delete it.")
        case .systemMessage:
            .forbidden("System messages cannot be edited or deleted.")
        case .invalid(let code, let message, let target):
            .badRequest(code: code, message, target: target)
        case .tooManyParticipants(let limit):
            .badRequest(code: "TooManyParticipants", "A chat thread can have at most \(limit) participants.", target: "participants")
        case .messageTooLarge(let limit):
            .badRequest(code: "MessageTooLarge", "The message content is larger than \(limit) bytes.", target: "content")
        case .rateLimited(let seconds):
            .tooManyRequests(retryAfterSeconds: seconds, "Too many messages in this chat thread; retry after \(seconds) s.")
        }
    }
}
