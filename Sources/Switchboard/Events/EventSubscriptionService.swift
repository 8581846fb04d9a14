import Crypto
import Foundation
import NIOHTTP1
import SQLKit

/// Creating, validating, listing and deleting webhook subscriptions; used by the API and the command line.
public struct EventSubscriptionService: Sendable {
    let client: WebhookClient
    let clock: any WallClock

    public init(client: WebhookClient, clock: any WallClock) {
        self.client = client
        self.clock = clock
    }

    /// What a caller asks for (the Event Grid body, parsed).
    public struct Request: Sendable {
        public var endpointURL: String
        public var schema: EventSubscription.DeliverySchema
        public var filter: EventSubscription.Filter
        public var maxDeliveryAttempts: Int
        public var eventTimeToLiveInMinutes: Int
        public var maxEventsPerBatch: Int
        public var preferredBatchSizeInKilobytes: Int

        public init(
            endpointURL: String, schema: EventSubscription.DeliverySchema = .eventGrid, filter: EventSubscription.Filter = .init(),
            maxDeliveryAttempts: Int = 30, eventTimeToLiveInMinutes: Int = 1440, maxEventsPerBatch: Int = 1,
            preferredBatchSizeInKilobytes: Int = 64
        ) {
            self.endpointURL = endpointURL
            self.schema = schema
            self.filter = filter
            self.maxDeliveryAttempts = maxDeliveryAttempts
            self.eventTimeToLiveInMinutes = eventTimeToLiveInMinutes
            self.maxEventsPerBatch = maxEventsPerBatch
            self.preferredBatchSizeInKilobytes = preferredBatchSizeInKilobytes
        }

        func validate() throws(EventsError) {
            guard let url = URL(string: endpointURL), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
                url.host?.isEmpty == false
            else {
                throw .invalid(message: "endpointUrl must be an absolute http or https URL.", target: "properties.destination.properties.endpointUrl")
            }
            for type in filter.includedEventTypes ?? []
            where CommunicationEventType.allCases.first(where: { $0.rawValue.caseInsensitiveCompare(type) == .orderedSame }) == nil {
                throw .invalid(message: "'\(type)' is not a Microsoft.Communication event type.", target: "properties.filter.includedEventTypes")
            }
            guard (1...30).contains(maxDeliveryAttempts) else {
                throw .invalid(message: "maxDeliveryAttempts must be between 1 and 30.", target: "properties.retryPolicy.maxDeliveryAttempts")
            }
            guard (1...1440).contains(eventTimeToLiveInMinutes) else {
                throw .invalid(
                    message: "eventTimeToLiveInMinutes must be between 1 and 1440.", target: "properties.retryPolicy.eventTimeToLiveInMinutes")
            }
            guard (1...5000).contains(maxEventsPerBatch) else {
                throw .invalid(
                    message: "maxEventsPerBatch must be between 1 and 5000.", target: "properties.destination.properties.maxEventsPerBatch")
            }
            guard (1...1024).contains(preferredBatchSizeInKilobytes) else {
                throw .invalid(
                    message: "preferredBatchSizeInKilobytes must be between 1 and 1024.",
                    target: "properties.destination.properties.preferredBatchSizeInKilobytes")
            }
        }
    }

    /// Creates or replaces a subscription. A new endpoint or schema is validated first, as Event Grid does:
    /// the Event Grid schema with a `SubscriptionValidationEvent` whose code must come back, CloudEvents with the
    /// `OPTIONS` abuse-protection handshake. An endpoint that accepts the validation event without the code is
    /// kept awaiting manual validation (its `validationUrl`); one that fails the handshake is refused.
    public func createOrUpdate(_ name: String, _ request: Request, resource: ResourceHandle, serverURL: String) async throws
        -> (subscription: EventSubscription, created: Bool)
    {
        try EventSubscription.validate(name: name)
        try request.validate()
        let existing = try await resource.store.read { db in try await EventSubscriptionStore.find(name, resource: resource, in: db) }
        let now = clock.now
        var subscription = EventSubscription(
            name: name, endpointURL: request.endpointURL, schema: request.schema, filter: request.filter,
            maxDeliveryAttempts: request.maxDeliveryAttempts, eventTimeToLiveInMinutes: request.eventTimeToLiveInMinutes,
            maxEventsPerBatch: request.maxEventsPerBatch, state: existing?.state ?? .awaitingManualAction,
            validationCode: existing?.validationCode, signingSecret: existing?.signingSecret ?? Self.newSecret(),
            createdAt: existing?.createdAt ?? now, updatedAt: now)
        subscription.preferredBatchSizeInKilobytes = request.preferredBatchSizeInKilobytes
        if existing == nil || existing?.endpointURL != request.endpointURL || existing?.schema != request.schema || existing?.state != .succeeded {
            subscription.validationCode = Self.newSecret()
            subscription.state = try await handshake(subscription, resource: resource, serverURL: serverURL)
        }
        let stored = subscription
        try await resource.store.transaction { db in try await EventSubscriptionStore.upsert(stored, resource: resource, in: db) }
        return (subscription, existing == nil)
    }

    func handshake(_ subscription: EventSubscription, resource: ResourceHandle, serverURL: String) async throws -> EventSubscription.State {
        let code = subscription.validationCode ?? ""
        switch subscription.schema {
        case .eventGrid:
            let validationURL = "\(serverURL)/-/eventgrid/validate/\(resource.name)/\(subscription.name)?code=\(code)"
            struct Validation: Encodable, Sendable {
                let validationCode: String
                let validationUrl: String
            }
            let event = try EventGridEnvelope.encode(
                id: UUID().uuidString.lowercased(), type: "Microsoft.EventGrid.SubscriptionValidationEvent", subject: "",
                data: Validation(validationCode: code, validationUrl: validationURL), time: clock.now, schema: .eventGrid,
                resource: resource, dataVersion: "2")
            let body = Data("[".utf8) + event + Data("]".utf8)
            let reply: WebhookClient.Reply
            do {
                reply = try await client.send(
                    .POST, to: subscription.endpointURL,
                    headers: [
                        ("Content-Type", "application/json; charset=utf-8"), ("aeg-event-type", "SubscriptionValidation"),
                        ("aeg-subscription-name", subscription.name.uppercased()), ("aeg-delivery-count", "0"),
                    ], body: body)
            } catch {
                throw EventsError.validationFailed(WebhookHandler.describe(error))
            }
            guard (200...299).contains(reply.status) else {
                throw EventsError.validationFailed("the endpoint answered \(reply.status)")
            }
            if case .object(let fields) = try? JSONBody.decoder.decode(JSONValue.self, from: reply.body),
                case .string(let echoed) = fields.first(where: { $0.key.lowercased() == "validationresponse" })?.value, echoed == code
            {
                return .succeeded
            }
            return .awaitingManualAction
        case .cloudEvents:
            let reply: WebhookClient.Reply
            do {
                reply = try await client.send(
                    .OPTIONS, to: subscription.endpointURL,
                    headers: [("WebHook-Request-Origin", "eventgrid.azure.net"), ("WebHook-Request-Rate", "120")], body: nil)
            } catch {
                throw EventsError.validationFailed(WebhookHandler.describe(error))
            }
            let allowed = reply.headers["WebHook-Allowed-Origin"].first ?? ""
            guard (200...299).contains(reply.status), allowed == "*" || allowed.lowercased() == "eventgrid.azure.net" else {
                throw EventsError.validationFailed("the OPTIONS handshake did not allow the origin eventgrid.azure.net")
            }
            return .succeeded
        }
    }

    /// Completes a manual validation (the `validationUrl` of the validation event was opened).
    public func validateManually(_ name: String, code: String, resource: ResourceHandle) async throws -> Bool {
        let now = clock.now
        return try await resource.store.transaction { db in
            guard let subscription = try await EventSubscriptionStore.find(name, resource: resource, in: db),
                subscription.acceptsManualValidation(at: now),
                let expected = subscription.validationCode,
                HMACAuthenticator.constantTimeEqual(expected, code)
            else { return false }
            try await EventSubscriptionStore.setState(name, to: .succeeded, at: now, resource: resource, in: db)
            return true
        }
    }

    public func list(resource: ResourceHandle) async throws -> [EventSubscription] {
        try await resource.store.read { db in try await EventSubscriptionStore.all(resource: resource, in: db) }
    }

    public func get(_ name: String, resource: ResourceHandle) async throws -> EventSubscription {
        guard let subscription = try await resource.store.read({ db in try await EventSubscriptionStore.find(name, resource: resource, in: db) })
        else { throw EventsError.subscriptionNotFound(name) }
        return subscription
    }

    /// Deletes a subscription and everything queued for it.
    public func delete(_ name: String, resource: ResourceHandle) async throws {
        let deleted = try await resource.store.transaction { db in try await EventSubscriptionStore.delete(name, resource: resource, in: db) }
        guard deleted else { throw EventsError.subscriptionNotFound(name) }
    }

    static func newSecret() -> String {
        Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }
}
