import HTTPTypes

/// What the email APIs refuse as a whole, with ACS's codes where ACS has one (a recipient the policy refuses is not
/// an error: it gets a `Suppressed` delivery report).
public enum EmailError: Error, Equatable, Sendable, APIErrorConvertible {
    case invalid(String, target: String?)
    case invalidAddress(String, target: String)
    case tooManyRecipients(limit: Int)
    case tooLarge(limitBytes: Int)
    case attachmentTypeNotAllowed(String)
    case domainNotLinked(String)
    case domainNotVerified(String)
    case senderNotFound(String)
    case domainNotFound(String)
    case operationNotFound(String)
    case operationIDConflict(String)
    case sandboxDomain(String)
    case suppressionNotFound(String)

    public var apiError: APIError {
        switch self {
        case .invalid(let message, let target):
            .badRequest(code: "InvalidRequest", message, target: target)
        case .invalidAddress(let message, let target):
            .badRequest(code: "InvalidEmailAddress", message, target: target)
        case .tooManyRecipients(let limit):
            .badRequest(code: "TooManyRecipients", "An email goes to at most \(limit) recipients (to, cc and bcc together).", target: "recipients")
        case .tooLarge(let limit):
            APIError(
                status: .contentTooLarge, code: "EmailSizeLimitExceeded",
                message: "The email (content and attachments) is larger than \(limit / 1_048_576) MB.")
        case .attachmentTypeNotAllowed(let name):
            .badRequest(code: "InvalidAttachmentType", "The attachment '\(name)' is of a type that may not be sent.", target: "attachments")
        case .domainNotLinked(let domain):
            .badRequest(code: "DomainNotLinked", "The sender domain '\(domain)' is not a domain of this resource.", target: "senderAddress")
        case .domainNotVerified(let domain):
            .badRequest(
                code: "DomainNotVerified",
                "The sender domain '\(domain)' has not verified its ownership, SPF and DKIM records; verify it first.",
                target: "senderAddress")
        case .senderNotFound(let address):
            .badRequest(
                code: "InvalidSenderUsername", "'\(address)' is not a sender username registered on its domain.", target: "senderAddress")
        case .domainNotFound(let domain):
            .notFound(code: "DomainNotFound", "There is no email domain '\(domain)' in this resource.", target: "domain")
        case .operationNotFound(let id):
            .notFound(code: "OperationNotFound", "There is no email operation '\(id)'.", target: "operationId")
        case .operationIDConflict(let id):
            .conflict(
                code: "OperationIdAlreadyUsed", "The Operation-Id '\(id)' was already used for a different email.", target: "Operation-Id")
        case .sandboxDomain(let message):
            .badRequest(code: "SandboxDomain", message, target: "domain")
        case .suppressionNotFound(let address):
            .notFound(code: "NotFound", "'\(address)' is not on the suppression list.", target: "address")
        }
    }
}
