import HTTPTypes
import Foundation

/// A webhook subscription to a resource's events, in the shape of Event Grid's event subscriptions.
public struct EventSubscription: Sendable, Equatable {
    public enum DeliverySchema: String, Sendable, Codable {
        case eventGrid = "EventGridSchema"
        case cloudEvents = "CloudEventSchemaV1_0"
    }

    public enum State: String, Sendable {
        /// Validated: receives events.
        case succeeded = "Succeeded"
        /// The endpoint answered the handshake without the code; it receives nothing until someone opens the
        /// validation URL.
        case awaitingManualAction = "AwaitingManualAction"
    }

    /// How long the validation URL of a manual handshake works, as Event Grid's (10 minutes); after that the
    /// subscription shows `Failed` and must be created again.
    public static let manualValidationWindow: Duration = .seconds(10 * 60)

    /// Whether the validation URL still works at `now`.
    public func acceptsManualValidation(at now: Timestamp) -> Bool {
        state == .awaitingManualAction && now.duration(since: updatedAt) <= Self.manualValidationWindow
    }

    /// Event Grid's `provisioningState`: `Succeeded`, `AwaitingManualAction` while the validation URL works, then
    /// `Failed`.
    public func provisioningState(at now: Timestamp) -> String {
        switch state {
        case .succeeded: "Succeeded"
        case .awaitingManualAction: acceptsManualValidation(at: now) ? "AwaitingManualAction" : "Failed"
        }
    }

    public struct Filter: Sendable, Equatable {
        public var includedEventTypes: [String]?
        public var subjectBeginsWith: String?
        public var subjectEndsWith: String?
        public var isSubjectCaseSensitive = false

        public init(
            includedEventTypes: [String]? = nil, subjectBeginsWith: String? = nil, subjectEndsWith: String? = nil,
            isSubjectCaseSensitive: Bool = false
        ) {
            self.includedEventTypes = includedEventTypes
            self.subjectBeginsWith = subjectBeginsWith
            self.subjectEndsWith = subjectEndsWith
            self.isSubjectCaseSensitive = isSubjectCaseSensitive
        }

        func matches(type: String, subject: String) -> Bool {
            if let types = includedEventTypes, !types.isEmpty,
                !types.contains(where: { $0.caseInsensitiveCompare(type) == .orderedSame })
            {
                return false
            }
            let subject = isSubjectCaseSensitive ? subject : subject.lowercased()
            if let prefix = subjectBeginsWith, !prefix.isEmpty,
                !subject.hasPrefix(isSubjectCaseSensitive ? prefix : prefix.lowercased())
            {
                return false
            }
            if let suffix = subjectEndsWith, !suffix.isEmpty, !subject.hasSuffix(isSubjectCaseSensitive ? suffix : suffix.lowercased()) {
                return false
            }
            return true
        }
    }

    public var name: String
    /// The full URL, query included (a secret there authenticates Switchboard to the receiver); stored sealed.
    public var endpointURL: String
    public var schema: DeliverySchema
    public var filter: Filter
    public var maxDeliveryAttempts: Int
    public var eventTimeToLiveInMinutes: Int
    public var maxEventsPerBatch: Int
    /// The most a batch may weigh, as Event Grid's `preferredBatchSizeInKilobytes`: a batch ends at
    /// `maxEventsPerBatch` events or at this size, whichever comes first (one event always goes).
    public var preferredBatchSizeInKilobytes: Int = 64
    public var state: State
    public var validationCode: String?
    /// The key of the `X-Switchboard-Signature` header on every delivery.
    public var signingSecret: String
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    /// The URL without its query, safe to show (Event Grid's `endpointBaseUrl`).
    public var endpointBaseURL: String {
        guard var components = URLComponents(string: endpointURL) else { return endpointURL }
        components.query = nil
        components.user = nil
        components.password = nil
        return components.string ?? endpointURL
    }

    /// Subscription names as Event Grid allows them: 3–64 letters, digits and hyphens.
    static func validate(name: String) throws(EventsError) {
        let allowed = name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "-" }
        guard (3...64).contains(name.count), allowed else { throw .invalidName(name) }
    }
}

/// Failures of the events API and of subscription management.
public enum EventsError: Error, APIErrorConvertible, CustomStringConvertible {
    case invalidName(String)
    case invalid(message: String, target: String)
    case subscriptionNotFound(String)
    case validationFailed(String)
    case notValidated

    public var apiError: APIError {
        switch self {
        case .invalidName(let name):
            .badRequest(
                code: "InvalidEventSubscriptionName", "'\(name)' is not a valid event subscription name: use 3-64 letters, digits and hyphens.",
                target: "name")
        case .invalid(let message, let target):
            .badRequest(code: "InvalidEventSubscription", message, target: target)
        case .subscriptionNotFound:
            .notFound(code: "EventSubscriptionNotFound", "The event subscription does not exist.")
        case .notValidated:
            APIError(
                status: .conflict, code: "SubscriptionNotValidated",
                message: "The event subscription has not completed its validation handshake; it receives nothing until it has.")
        case .validationFailed(let reason):
            .badRequest(
                code: "WebhookValidationFailed", "The webhook endpoint did not complete the validation handshake: \(reason)",
                target: "properties.destination.properties.endpointUrl")
        }
    }

    public var description: String { apiError.message }
}
