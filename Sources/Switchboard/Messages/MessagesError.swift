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
    /// A Cloud API channel's templates are listed from Meta, which needs the WhatsApp Business Account's id.
    case businessAccountMissing(String)
    /// Templates are registered here only for the sandbox; a Cloud API channel's are Meta's.
    case templatesManagedByMeta
    /// Meta's Graph API refused the channel's access token (listing templates).
    case graphTokenRejected(message: String)
    /// Meta's Graph API refused to list the templates otherwise: its HTTP status, code and message.
    case graphRefused(status: Int, code: String, message: String)
    /// Meta's Graph API answered 429/5xx or nonsense, or could not be reached.
    case graphUnavailable(String)
    /// Meta's Graph API did not answer in time.
    case graphTimedOut

    /// 424: the request failed because Meta refused what it depended on (not retried by the Azure SDKs, unlike 502).
    static let failedDependency = HTTPResponse.Status(code: 424, reasonPhrase: "Failed Dependency")

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
        case .businessAccountMissing(let id):
            .badRequest(
                code: "BusinessAccountIdMissing",
                "The channel '\(id)' uses the WhatsApp Cloud API but has no businessAccountId: register it (PUT "
                    + "/messages/channels/\(id) with the WhatsApp Business Account's id) so its templates can be listed from Meta.",
                target: "businessAccountId")
        case .templatesManagedByMeta:
            .badRequest(
                code: "TemplatesManagedByMeta",
                "A WhatsApp Cloud API channel's templates are Meta's: create and edit them in WhatsApp Manager; list_templates syncs them.",
                target: "channelId")
        case .graphTokenRejected(let message):
            APIError(
                status: Self.failedDependency, code: "WhatsAppAccessTokenRejected",
                message: "Meta's Graph API refused the channel's access token (\(message)); register the channel with a valid token.")
        case .graphRefused(let status, let code, let message):
            APIError(
                status: Self.failedDependency, code: "WhatsAppRequestRejected",
                message: "Meta's Graph API refused to list the templates (HTTP \(status), code \(code): \(message)).")
        case .graphUnavailable(let reason):
            APIError(
                status: .badGateway, code: "WhatsAppUnavailable", message: "Meta's Graph API could not list the templates: \(reason).")
        case .graphTimedOut:
            APIError(status: .gatewayTimeout, code: "WhatsAppTimeout", message: "Meta's Graph API did not answer the template list in time.")
        }
    }
}
