import Foundation
import HTTPTypes
import Hummingbird

/// Event subscriptions in the shape of Event Grid's event-subscription resource
/// (`/eventSubscriptions/{name}?api-version=2022-06-15`), dead letters and replay; authenticated with the
/// resource's access keys.
public struct EventsAPI: Sendable {
    public static let service = APIService(name: "events", versions: ["2020-06-01", "2021-12-01", "2022-06-15", "2025-02-15"])

    let subscriptions: EventSubscriptionService
    let signal: WorkSignal

    public init(subscriptions: EventSubscriptionService, signal: WorkSignal) {
        self.subscriptions = subscriptions
        self.signal = signal
    }

    public var routes: [Route] {
        let s = Self.service
        return [
            Route(.put, "/eventSubscriptions/{name}", service: s, auth: .accessKey, handler: put),
            Route(.get, "/eventSubscriptions/{name}", service: s, auth: .accessKey, handler: get),
            Route(.delete, "/eventSubscriptions/{name}", service: s, auth: .accessKey, handler: delete),
            Route(.get, "/eventSubscriptions", service: s, auth: .accessKey, handler: list),
            Route(.get, "/eventSubscriptions/{name}/deadLetters", service: s, auth: .accessKey, handler: deadLetters),
            Route(.post, "/eventSubscriptions/{name}/deadLetters/:redeliver", service: s, auth: .accessKey, handler: redeliver),
            Route(.post, "/eventSubscriptions/{name}/:replay", service: s, auth: .accessKey, handler: replay),
            Route(.get, "/events", service: s, auth: .accessKey, handler: events),
        ]
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

    func resourceBody(_ subscription: EventSubscription, resource: ResourceHandle) -> JSONValue {
        var filter: [String: JSONValue] = [
            "subjectBeginsWith": .string(subscription.filter.subjectBeginsWith ?? ""),
            "subjectEndsWith": .string(subscription.filter.subjectEndsWith ?? ""),
            "isSubjectCaseSensitive": .bool(subscription.filter.isSubjectCaseSensitive),
        ]
        if let types = subscription.filter.includedEventTypes { filter["includedEventTypes"] = .array(types.map(JSONValue.string)) }
        let topic = EventGridEnvelope.topic(for: resource)
        return .object([
            "id": .string("\(topic)/providers/Microsoft.EventGrid/eventSubscriptions/\(subscription.name)"),
            "name": .string(subscription.name),
            "type": .string("Microsoft.EventGrid/eventSubscriptions"),
            "properties": .object([
                "topic": .string(topic),
                "provisioningState": .string(subscription.provisioningState()),
                "destination": .object([
                    "endpointType": .string("WebHook"),
                    "properties": .object([
                        "endpointBaseUrl": .string(subscription.endpointBaseURL),
                        "maxEventsPerBatch": .number(Double(subscription.maxEventsPerBatch)),
                        "preferredBatchSizeInKilobytes": .number(Double(subscription.preferredBatchSizeInKilobytes)),
                    ]),
                ]),
                "filter": .object(filter),
                "eventDeliverySchema": .string(subscription.schema.rawValue),
                "retryPolicy": .object([
                    "maxDeliveryAttempts": .number(Double(subscription.maxDeliveryAttempts)),
                    "eventTimeToLiveInMinutes": .number(Double(subscription.eventTimeToLiveInMinutes)),
                ]),
                "signingSecret": .string(subscription.signingSecret),
                "labels": .array([]),
            ]),
        ])
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
        let schema: EventSubscription.DeliverySchema
        switch properties.eventDeliverySchema ?? "EventGridSchema" {
        case "EventGridSchema": schema = .eventGrid
        case "CloudEventSchemaV1_0": schema = .cloudEvents
        default:
            throw EventsError.invalid(message: "eventDeliverySchema must be EventGridSchema or CloudEventSchemaV1_0.", target: "properties.eventDeliverySchema")
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
        try JSONBody.response(resourceBody(try await subscriptions.get(request.parameter("name"), resource: request.resource), resource: request.resource))
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
        let name = request.parameter("name")
        _ = try await subscriptions.get(name, resource: request.resource)
        let resource = request.resource
        let limit = try Paging.pageSize(request, defaultSize: 100, maximum: 1000)
        let letters = try await resource.store.read { db in
            try await Outbox.deadLetters(target: name, kind: WebhookHandler.kind, resource: resource, limit: limit, in: db)
        }
        let items: [JSONValue] = letters.map { letter in
            let event = letter.item.payload
                .flatMap { try? resource.crypto.open($0, field: Outbox.payloadField) }
                .flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) } ?? .null
            return .object([
                "id": .string(letter.item.messageUUID),
                "event": event,
                "deadLetterReason": .string(Self.reason(letter)),
                "deliveryAttempts": .number(Double(letter.item.attempts)),
                "lastHttpStatusCode": letter.lastStatus.map { .number(Double($0)) } ?? .null,
                "lastDeliveryOutcome": letter.lastError.map(JSONValue.string) ?? .null,
                "publishTime": .string(APIDate.format(letter.item.createdAt.date)),
                "deadLetteredOn": letter.completedAt.map { .string(APIDate.format($0.date)) } ?? .null,
            ])
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
        let name = request.parameter("name")
        let subscription = try await subscriptions.get(name, resource: request.resource)
        let body = try request.decodeIfPresent(RedeliverBody.self)
        let resource = request.resource
        let count = try await resource.store.transaction { db in
            try await Outbox.redeliver(
                target: name, kind: WebhookHandler.kind, messageUUIDs: body?.ids, attempts: subscription.maxDeliveryAttempts,
                timeToLive: .seconds(Int64(subscription.eventTimeToLiveInMinutes) * 60), resource: resource, in: db)
        }
        await signal.signal()
        return try JSONBody.response(["queued": count], status: .accepted)
    }

    struct ReplayBody: Decodable {
        var since: Date?
        var hours: Int?
    }

    @Sendable func replay(_ request: APIRequest) async throws -> Response {
        let name = request.parameter("name")
        let subscription = try await subscriptions.get(name, resource: request.resource)
        let body = try request.decodeIfPresent(ReplayBody.self) ?? ReplayBody()
        let since = try Self.since(body.since, hours: body.hours)
        guard subscription.state == .succeeded else {
            throw APIError(
                status: .conflict, code: "SubscriptionNotValidated",
                message: "The event subscription has not completed its validation handshake; it receives nothing until it has.")
        }
        let resource = request.resource
        let count = try await resource.store.transaction { db in
            var queued = 0
            var cursor: Int64 = 0
            while true {
                let page = try await EventLog.events(after: cursor, threads: nil, resource: resource, limit: 500, in: db)
                guard let last = page.last else { break }
                cursor = last.id
                var items: [NewOutboxItem] = []
                for event in page where event.createdAt >= since {
                    for variant in EventGridProjection.variants(of: event)
                    where subscription.filter.matches(type: variant.type.rawValue, subject: variant.subject) {
                        items.append(NewOutboxItem(
                            kind: WebhookHandler.kind, target: name, reference: event.id, variant: variant.key,
                            messageUUID: WebhookFanout.eventID(resource: resource, event: event.id, variant: variant.key),
                            threadID: event.threadID, messageID: event.messageID, actor: event.actor,
                            maxAttempts: subscription.maxDeliveryAttempts,
                            expiresAt: Timestamp.now.adding(seconds: Int64(subscription.eventTimeToLiveInMinutes) * 60), payload: nil))
                    }
                }
                try await Outbox.enqueue(items, resource: resource, in: db)
                queued += items.count
            }
            return queued
        }
        await signal.signal()
        return try JSONBody.response(["queued": count], status: .accepted)
    }

    struct EventsCursor: Codable {
        /// The log id after which the next page starts.
        var a: Int64
    }

    /// The resource's logged events of the last hours (at most a day), as Event Grid events, oldest first, in pages
    /// (`maxPageSize`, default 100, at most 1000) linked by `nextLink`.
    @Sendable func events(_ request: APIRequest) async throws -> Response {
        let hours = request.query["hours"].flatMap(Int.init)
        let since = try Self.since(try Paging.date(request, "since"), hours: hours)
        let type = request.query["eventType"]
        let pageSize = try Paging.pageSize(request, defaultSize: 100, maximum: 1000)
        let start = try Paging.cursor(request, as: EventsCursor.self)?.a ?? 0
        let resource = request.resource
        var items: [JSONValue] = []
        var cursor = start
        var exhausted = false
        while items.count < pageSize {
            let after = cursor
            let page = try await resource.store.read { db in
                try await EventLog.events(after: after, threads: nil, resource: resource, limit: 200, in: db)
            }
            guard !page.isEmpty else {
                exhausted = true
                break
            }
            for event in page {
                cursor = event.id
                guard event.createdAt >= since else { continue }
                for variant in EventGridProjection.variants(of: event)
                where type == nil || variant.type.rawValue.caseInsensitiveCompare(type!) == .orderedSame {
                    guard let data = EventGridProjection.data(for: variant, of: event) else { continue }
                    items.append(EventGridEnvelope.render(
                        id: WebhookFanout.eventID(resource: resource, event: event.id, variant: variant.key), type: variant.type.rawValue,
                        subject: variant.subject, data: data, time: event.createdAt, schema: .eventGrid, resource: resource))
                }
                // An event's variants stay on one page, so a page may run a little over its size.
                if items.count >= pageSize { break }
            }
        }
        let next = exhausted
            ? nil : Paging.nextLink(request, path: "/events", cursor: EventsCursor(a: cursor), keeping: ["hours", "since", "eventType", "maxPageSize"])
        return try JSONBody.response(Page(value: items, nextLink: next))
    }

    static func since(_ date: Date?, hours: Int?) throws -> Timestamp {
        if let hours {
            guard (1...24).contains(hours) else {
                throw APIError.badRequest(code: "InvalidHours", "hours must be between 1 and 24: events are kept for a day.", target: "hours")
            }
            return Timestamp.now.adding(seconds: -Int64(hours) * 3600)
        }
        return date.map(Timestamp.init) ?? Timestamp.now.adding(seconds: -86_400)
    }
}
