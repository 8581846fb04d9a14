import Foundation
import HTTPTypes
import Hummingbird

/// Event subscriptions in the shape of Event Grid's event-subscription resource
/// (`/eventSubscriptions/{name}?api-version=2022-06-15`), dead letters and replay; authenticated with the
/// resource's access keys. The handlers translate between the wire and ``EventSubscriptionService`` and
/// ``EventDeliveryService``, which do the work.
public struct EventsAPI: Sendable {
    public static let service = APIService(name: "events", versions: ["2020-06-01", "2021-12-01", "2022-06-15", "2025-02-15"])

    let subscriptions: EventSubscriptionService
    let deliveries: EventDeliveryService
    let resources: ResourceRegistry
    let clock: any WallClock

    public init(subscriptions: EventSubscriptionService, deliveries: EventDeliveryService, resources: ResourceRegistry, clock: any WallClock) {
        self.subscriptions = subscriptions
        self.deliveries = deliveries
        self.resources = resources
        self.clock = clock
    }

    public func routes(accessKey auth: any Authenticator) -> [Route] {
        let s = Self.service
        return [
            Route(.put, "/eventSubscriptions/{name}", service: s, auth: auth, handler: put),
            Route(.get, "/eventSubscriptions/{name}", service: s, auth: auth, handler: get),
            Route(.delete, "/eventSubscriptions/{name}", service: s, auth: auth, handler: delete),
            Route(.get, "/eventSubscriptions", service: s, auth: auth, handler: list),
            Route(.get, "/eventSubscriptions/{name}/deadLetters", service: s, auth: auth, handler: deadLetters),
            Route(.post, "/eventSubscriptions/{name}/deadLetters/:redeliver", service: s, auth: auth, handler: redeliver),
            Route(.post, "/eventSubscriptions/{name}/:replay", service: s, auth: auth, handler: replay),
            Route(.get, "/events", service: s, auth: auth, handler: events),
        ]
    }

    /// The `validationUrl` of a `SubscriptionValidationEvent`: opening it validates the subscription. Public: the
    /// code in the link is the credential.
    public var systemRoutes: [SystemRoute] {
        [SystemRoute(.get, "/eventgrid/validate/{resource}/{name}", auth: NoCredentials(), handler: validate)]
    }

    // MARK: Wire models

    struct Body: Decodable {
        struct Properties: Decodable {
            struct Destination: Decodable {
                struct WebHook: Decodable {
                    var endpointUrl: String?
                    var maxEventsPerBatch: Int?
                    var preferredBatchSizeInKilobytes: Int?
                }
                var endpointType: String
                var properties: WebHook
            }
            struct Filter: Decodable {
                var includedEventTypes: [String]?
                var subjectBeginsWith: String?
                var subjectEndsWith: String?
                var isSubjectCaseSensitive: Bool?
            }
            struct RetryPolicy: Decodable {
                var maxDeliveryAttempts: Int?
                var eventTimeToLiveInMinutes: Int?
            }
            var destination: Destination
            var filter: Filter?
            var eventDeliverySchema: String?
            var retryPolicy: RetryPolicy?
        }
        var properties: Properties
    }

    /// Event Grid's event-subscription resource.
    struct Resource: Encodable {
        struct Properties: Encodable {
            struct Destination: Encodable {
                struct WebHook: Encodable {
                    let endpointBaseUrl: String
                    let maxEventsPerBatch: Int
                    let preferredBatchSizeInKilobytes: Int
                }
                let endpointType = "WebHook"
                let properties: WebHook
            }
            struct Filter: Encodable {
                let subjectBeginsWith: String
                let subjectEndsWith: String
                let isSubjectCaseSensitive: Bool
                let includedEventTypes: [String]?
            }
            struct RetryPolicy: Encodable {
                let maxDeliveryAttempts: Int
                let eventTimeToLiveInMinutes: Int
            }
            let topic: String
            let provisioningState: String
            let destination: Destination
            let filter: Filter
            let eventDeliverySchema: String
            let retryPolicy: RetryPolicy
            let signingSecret: String
            let labels: [String] = []
        }
        let id: String
        let name: String
        let type = "Microsoft.EventGrid/eventSubscriptions"
        let properties: Properties
    }

    func resourceBody(_ subscription: EventSubscription, resource: ResourceHandle) -> Resource {
        let topic = EventGridEnvelope.topic(for: resource)
        return Resource(
            id: "\(topic)/providers/Microsoft.EventGrid/eventSubscriptions/\(subscription.name)",
            name: subscription.name,
            properties: .init(
                topic: topic,
                provisioningState: subscription.provisioningState(at: clock.now),
                destination: .init(
                    properties: .init(
                        endpointBaseUrl: subscription.endpointBaseURL, maxEventsPerBatch: subscription.maxEventsPerBatch,
                        preferredBatchSizeInKilobytes: subscription.preferredBatchSizeInKilobytes)),
                filter: .init(
                    subjectBeginsWith: subscription.filter.subjectBeginsWith ?? "", subjectEndsWith: subscription.filter.subjectEndsWith ?? "",
                    isSubjectCaseSensitive: subscription.filter.isSubjectCaseSensitive, includedEventTypes: subscription.filter.includedEventTypes),
                eventDeliverySchema: subscription.schema.rawValue,
                retryPolicy: .init(
                    maxDeliveryAttempts: subscription.maxDeliveryAttempts, eventTimeToLiveInMinutes: subscription.eventTimeToLiveInMinutes),
                signingSecret: subscription.signingSecret))
    }

    /// A dead letter, as listed.
    struct DeadLetter: Encodable {
        let id: String
        /// The event as it would have been sent.
        let event: JSONValue
        let deadLetterReason: String
        let deliveryAttempts: Int
        let lastHttpStatusCode: Int?
        let lastDeliveryOutcome: String?
        let publishTime: String
        let deadLetteredOn: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: FrameKey.self)
            try container.encode(id, forKey: FrameKey("id"))
            try container.encode(event, forKey: FrameKey("event"))
            try container.encode(deadLetterReason, forKey: FrameKey("deadLetterReason"))
            try container.encode(deliveryAttempts, forKey: FrameKey("deliveryAttempts"))
            try container.encode(lastHttpStatusCode, forKey: FrameKey("lastHttpStatusCode"))
            try container.encode(lastDeliveryOutcome, forKey: FrameKey("lastDeliveryOutcome"))
            try container.encode(publishTime, forKey: FrameKey("publishTime"))
            try container.encode(deadLetteredOn, forKey: FrameKey("deadLetteredOn"))
        }
    }

    // MARK: Handlers

    @Sendable func put(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(Body.self)
        let properties = body.properties
        guard properties.destination.endpointType.lowercased() == "webhook" else {
            throw EventsError.invalid(message: "Only WebHook destinations are supported.", target: "properties.destination.endpointType")
        }
        guard let url = properties.destination.properties.endpointUrl else {
            throw EventsError.invalid(message: "endpointUrl is required.", target: "properties.destination.properties.endpointUrl")
        }
        guard let schema = EventSubscription.DeliverySchema(parsing: properties.eventDeliverySchema ?? "EventGridSchema") else {
            throw EventsError.invalid(
                message: "eventDeliverySchema must be EventGridSchema or CloudEventSchemaV1_0.", target: "properties.eventDeliverySchema")
        }
        let parsed = EventSubscriptionService.Request(
            endpointURL: url, schema: schema,
            filter: .init(
                includedEventTypes: properties.filter?.includedEventTypes, subjectBeginsWith: properties.filter?.subjectBeginsWith,
                subjectEndsWith: properties.filter?.subjectEndsWith, isSubjectCaseSensitive: properties.filter?.isSubjectCaseSensitive ?? false),
            maxDeliveryAttempts: properties.retryPolicy?.maxDeliveryAttempts ?? 30,
            eventTimeToLiveInMinutes: properties.retryPolicy?.eventTimeToLiveInMinutes ?? 1440,
            maxEventsPerBatch: properties.destination.properties.maxEventsPerBatch ?? 1,
            preferredBatchSizeInKilobytes: properties.destination.properties.preferredBatchSizeInKilobytes ?? 64)
        let serverURL = String(request.endpoint.dropLast(request.resource.name.count + 1))
        let (subscription, created) = try await subscriptions.createOrUpdate(
            request.parameter("name"), parsed, resource: request.resource, serverURL: serverURL)
        return try JSONBody.response(resourceBody(subscription, resource: request.resource), status: created ? .created : .ok)
    }

    @Sendable func get(_ request: APIRequest) async throws -> Response {
        try JSONBody.response(
            resourceBody(try await subscriptions.get(request.parameter("name"), resource: request.resource), resource: request.resource))
    }

    @Sendable func delete(_ request: APIRequest) async throws -> Response {
        try await subscriptions.delete(request.parameter("name"), resource: request.resource)
        return Response(status: .ok)
    }

    @Sendable func list(_ request: APIRequest) async throws -> Response {
        let all = try await subscriptions.list(resource: request.resource)
        return try JSONBody.response(Page(value: all.map { resourceBody($0, resource: request.resource) }, nextLink: nil))
    }

    @Sendable func deadLetters(_ request: APIRequest) async throws -> Response {
        let subscription = try await subscriptions.get(request.parameter("name"), resource: request.resource)
        let limit = try Paging.pageSize(request, defaultSize: 100, maximum: 1000)
        let letters = try await deliveries.deadLetters(of: subscription, resource: request.resource, limit: limit)
        let items = letters.map { letter in
            DeadLetter(
                id: letter.item.deliveryID,
                event: letter.item.snapshot.flatMap { try? JSONBody.decoder.decode(JSONValue.self, from: $0) } ?? .null,
                deadLetterReason: Self.reason(letter), deliveryAttempts: letter.item.attempts, lastHttpStatusCode: letter.lastStatus,
                lastDeliveryOutcome: letter.lastError, publishTime: APIDate.format(letter.item.createdAt.date),
                deadLetteredOn: letter.completedAt.map { APIDate.format($0.date) })
        }
        return try JSONBody.response(Page(value: items, nextLink: nil))
    }

    static func reason(_ letter: Outbox.DeadLetter) -> String {
        if letter.lastError == "TimeToLiveExceeded" { return "TimeToLiveExceeded" }
        if let status = letter.lastStatus, WebhookHandler.rejectedStatuses.contains(status) { return "DeliveryFailed" }
        return "MaxDeliveryAttemptsExceeded"
    }

    struct RedeliverBody: Decodable {
        var ids: [String]?
    }

    @Sendable func redeliver(_ request: APIRequest) async throws -> Response {
        let subscription = try await subscriptions.get(request.parameter("name"), resource: request.resource)
        let body = try request.decodeIfPresent(RedeliverBody.self)
        let count = try await deliveries.redeliver(body?.ids, of: subscription, resource: request.resource)
        return try JSONBody.response(["queued": count], status: .accepted)
    }

    struct ReplayBody: Decodable {
        var since: Date?
        var hours: Int?
    }

    @Sendable func replay(_ request: APIRequest) async throws -> Response {
        let subscription = try await subscriptions.get(request.parameter("name"), resource: request.resource)
        let body = try request.decodeIfPresent(ReplayBody.self) ?? ReplayBody()
        let since = try deliveries.since(body.since, hours: body.hours)
        let count = try await deliveries.replay(since: since, to: subscription, resource: request.resource)
        return try JSONBody.response(["queued": count], status: .accepted)
    }

    struct EventsCursor: Codable {
        /// The log id after which the next page starts.
        var a: Int64
    }

    /// The resource's logged events of the last hours (at most a day), as Event Grid events, oldest first, in pages
    /// (`maxPageSize`, default 100, at most 1000) linked by `nextLink`.
    @Sendable func events(_ request: APIRequest) async throws -> Response {
        let hours = try Paging.integer(request, "hours", in: 1...24, code: "InvalidHours")
        let since = try deliveries.since(try Paging.date(request, "since"), hours: hours)
        let pageSize = try Paging.pageSize(request, defaultSize: 100, maximum: 1000)
        let start = try Paging.cursor(request, as: EventsCursor.self)?.a ?? 0
        let (items, next) = try await deliveries.events(
            since: since, type: request.query["eventType"], after: start, pageSize: pageSize, resource: request.resource)
        let link = next.map {
            Paging.nextLink(request, path: "/events", cursor: EventsCursor(a: $0), keeping: ["hours", "since", "eventType", "maxPageSize"])
        }
        return try JSONBody.response(Page(value: items, nextLink: link))
    }

    @Sendable func validate(_ request: SystemRequest) async throws -> Response {
        guard let resource = try await resources.handle(named: request.parameter("resource")),
            try await subscriptions.validateManually(request.parameter("name"), code: request.query["code"] ?? "", resource: resource)
        else { throw APIError.notFound(code: "ValidationNotFound", "The validation link is not valid.") }
        return try JSONBody.response(["status": "validated"])
    }
}

extension EventSubscription.DeliverySchema {
    /// The schema named as Event Grid's API names it (`EventGridSchema`, `CloudEventSchemaV1_0`) or as the command
    /// line does (`eventgrid`, `cloudevents`), in any case.
    public init?(parsing text: String) {
        switch text.lowercased() {
        case "eventgridschema", "eventgrid": self = .eventGrid
        case "cloudeventschemav1_0", "cloudevents": self = .cloudEvents
        default: return nil
        }
    }
}
