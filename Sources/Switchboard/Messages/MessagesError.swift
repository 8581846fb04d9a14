import HTTPTypes

/// What the Advanced Messages APIs refuse, in the Azure.Core error shape ACS answers them with (`x-ms-error-code`
/// carries the code).
public enum MessagesError: Error, Equatable, Sendable, APIErrorConvertible {
    case invalid(String, target: String?)
    case geographyNotSupported(Geography)
    case channelNotFound(String)
    case templateNotFound(name: String, language: String)
    case templateNotApproved(name: String, language: String, status: String)
    case tooManyRecipients(limit: Int)
    case outsideConversationWindow([String])
    case refusedByPolicy([String])
    case mediaNotFound(String)

    /// The five geographies the residency document offers Advanced Messaging in, by name.
    static var supportedGeographies: String {
        Geography.allCases.filter(\.supportsAdvancedMessaging).map(\.displayName).joined(separator: ", ")
    }

    public var apiError: APIError {
        switch self {
        case .invalid(let message, let target):
            .badRequest(code: "BadRequest", message, target: target)
        case .geographyNotSupported(let geography):
            APIError(
                status: .forbidden, code: "AdvancedMessagingNotAvailableInGeography",
                message:
                    "Advanced Messaging for WhatsApp is only available in the following geographies: \(Self.supportedGeographies); this "
                    + "resource is in \(geography.displayName).")
        case .channelNotFound(let id):
            .badRequest(code: "ChannelNotFound", "There is no channel '\(id)' registered for this resource.", target: "channelRegistrationId")
        case .templateNotFound(let name, let language):
            .badRequest(code: "TemplateNotFound", "The channel has no template '\(name)' in language '\(language)'.", target: "template")
        case .templateNotApproved(let name, let language, let status):
            .badRequest(
                code: "TemplateNotApproved", "The template '\(name)' (\(language)) is \(status); only approved templates can be sent.",
                target: "template")
        case .tooManyRecipients(let limit):
            .badRequest(code: "TooManyRecipients", "A message goes to between 1 and \(limit) recipients.", target: "to")
        case .outsideConversationWindow(let recipients):
            .badRequest(
                code: "OutsideConversationWindow",
                "WhatsApp allows free-form messages only within 24 hours of the recipient's last message to the channel; "
                    + "send a template to \(recipients.map(MessagingAddress.masked).joined(separator: ", ")).", target: "to")
        case .refusedByPolicy(let reasons):
            APIError(
                status: .forbidden, code: "MessageRefusedByPolicy",
                message: "The messaging policy refused the message: \(reasons.joined(separator: "; "))", target: "to")
        case .mediaNotFound(let id):
            .notFound(code: "MediaNotFound", "There is no media '\(id)'.", target: "id")
        }
    }
}
