import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SQLKit

/// Delivers queued events to webhook subscriptions the way Event Grid does: Event Grid schema as a JSON array,
/// CloudEvents as one event (`application/cloudevents+json`) or a batch (`application/cloudevents-batch+json`);
/// `aeg-*` headers; success on 200–204; no retry on 400, 401, 403 and 413 (straight to the dead-letter store);
/// retries on anything else, timeouts and connection failures, on Event Grid's schedule by default; dead letters
/// kept a week with what they would have sent.
public struct WebhookHandler: OutboxHandler {
    public static let kind = "webhook"
    public var kind: String { Self.kind }
    public let retrySchedule: RetrySchedule
    public var deadLetters: DeadLetterPolicy { .keepForAWeek }
    let client: WebhookClient
    let catalog: EventCatalog
    let clock: any WallClock

    public init(client: WebhookClient, catalog: EventCatalog, retrySchedule: RetrySchedule = .eventGrid, clock: any WallClock) {
        self.client = client
        self.catalog = catalog
        self.retrySchedule = retrySchedule
        self.clock = clock
    }

    static let rejectedStatuses: Set<Int> = [400, 401, 403, 413]

    public func batchLimit(target: String, resource: ResourceHandle) async -> Int {
        let subscription = try? await resource.store.read { db in try await EventSubscriptionStore.find(target, resource: resource, in: db) }
        return subscription?.maxEventsPerBatch ?? 1
    }

    public func snapshot(_ item: OutboxItem, resource: ResourceHandle) async -> Data? {
        guard let (rendered, _) = try? await render([item], resource: resource) else { return nil }
        return rendered.first ?? nil
    }

    /// Each item's event as it would be sent (from the snapshot a redelivered dead letter carries, or rendered from
    /// the event log, each event decoded once), and the subscription; `nil` for an event no longer in the log.
    func render(_ items: [OutboxItem], resource: ResourceHandle) async throws -> ([Data?], EventSubscription?) {
        let target = items.first?.target ?? ""
        let deliveries = items.map { item in item.payload.flatMap { try? JSONBody.decoder.decode(WebhookDelivery.self, from: $0) } }
        let ids = Array(Set(deliveries.compactMap { $0?.event }))
        let (subscription, events) = try await resource.store.read { db in
            (
                try await EventSubscriptionStore.find(target, resource: resource, in: db),
                try await EventLog.events(ids: ids, resource: resource, in: db)
            )
        }
        var decoded: [Int64: DecodedEvent] = [:]
        for event in events { decoded[event.id] = catalog.decode(event) }
        let schema = subscription?.schema ?? .eventGrid
        let rendered = items.indices.map { index -> Data? in
            if let snapshot = items[index].snapshot { return snapshot }
            guard let delivery = deliveries[index], let event = decoded[delivery.event] else { return nil }
            return try? EventGridEnvelope.encode(delivery.variant, of: event, schema: schema, resource: resource)
        }
        return (rendered, subscription)
    }

    public func deliver(_ items: [OutboxItem], resource: ResourceHandle) async -> [DeliveryResult] {
        let rendered: [Data?]
        let found: EventSubscription?
        do {
            (rendered, found) = try await render(items, resource: resource)
        } catch {
            return items.map { _ in DeliveryResult(.retry, error: "the store could not be read") }
        }
        guard let subscription = found else {
            return items.map { _ in DeliveryResult(.drop, error: "the subscription was deleted") }
        }
        guard subscription.state == .succeeded else {
            return items.map { _ in DeliveryResult(.retry, error: "the subscription awaits validation") }
        }
        var results = Array(repeating: DeliveryResult(.drop, error: "the event's content was deleted"), count: items.count)
        let encoded = rendered.enumerated().compactMap { index, event in event.map { (index, $0) } }
        guard !encoded.isEmpty else { return results }
        // The batch ends at the subscription's preferred size (the first event always goes); the rest is deferred
        // to the next batch without counting an attempt.
        let budget = subscription.preferredBatchSizeInKilobytes * 1024
        var size = 0
        var fitting = 0
        for (_, event) in encoded {
            size += event.count + 1
            if fitting > 0 && size > budget { break }
            fitting += 1
        }
        for (index, _) in encoded.dropFirst(fitting) { results[index] = DeliveryResult(.deferred) }
        let sendable = Array(encoded.prefix(fitting))

        let events = sendable.map(\.1)
        let contentType: String
        switch subscription.schema {
        case .eventGrid: contentType = "application/json; charset=utf-8"
        case .cloudEvents where events.count == 1: contentType = "application/cloudevents+json; charset=utf-8"
        case .cloudEvents: contentType = "application/cloudevents-batch+json; charset=utf-8"
        }
        // A JSON array of the events, except a single CloudEvent, which travels on its own.
        var body = Data()
        if subscription.schema == .cloudEvents && events.count == 1 {
            body = events[0]
        } else {
            body.append(UInt8(ascii: "["))
            for (offset, event) in events.enumerated() {
                if offset > 0 { body.append(UInt8(ascii: ",")) }
                body.append(event)
            }
            body.append(UInt8(ascii: "]"))
        }
        // A batch that holds an event the receiver may have seen says so, whatever its other events.
        let deliveryCount = sendable.map { items[$0.0].previousAttempts }.max() ?? 0
        var headers = [
            ("Content-Type", contentType),
            ("aeg-event-type", "Notification"),
            ("aeg-subscription-name", subscription.name.uppercased()),
            ("aeg-delivery-count", String(deliveryCount)),
            ("aeg-metadata-version", "1"),
            ("aeg-data-version", "1.0"),
            ("X-Switchboard-Signature", WebhookClient.signature(secret: subscription.signingSecret, body: body, at: clock.now.date)),
        ]
        if subscription.schema == .cloudEvents { headers.append(("WebHook-Request-Origin", "eventgrid.azure.net")) }

        let outcome: DeliveryResult
        do {
            let reply = try await client.send(.POST, to: subscription.endpointURL, headers: headers, body: body)
            if (200...204).contains(reply.status) {
                outcome = DeliveryResult(.delivered, status: reply.status)
            } else if Self.rejectedStatuses.contains(reply.status) {
                outcome = DeliveryResult(.reject, status: reply.status, error: "the endpoint answered \(reply.status)")
            } else {
                outcome = DeliveryResult(.retry, status: reply.status, error: "the endpoint answered \(reply.status)")
            }
        } catch let refused as WebhookAddressRefused {
            // Not a passing failure: the endpoint will not be called while the policy stands.
            outcome = DeliveryResult(.reject, error: refused.reason)
        } catch {
            outcome = DeliveryResult(.retry, error: Self.describe(error))
        }
        for (index, event) in sendable {
            var result = outcome
            result.snapshot = event
            results[index] = result
        }
        return results
    }

    /// A failed call, for the attempt record: matched on the error's type, never its text.
    static func describe(_ error: any Error) -> String {
        if error is WebhookTimeout { return "the endpoint did not answer in time" }
        if let refused = error as? WebhookAddressRefused { return refused.reason }
        if let client = error as? HTTPClientError {
            switch client {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
                return "the endpoint did not answer in time"
            case .remoteConnectionClosed:
                return "the endpoint could not be reached"
            default:
                break
            }
        }
        if error is NIOConnectionError || error is ChannelError { return "the endpoint could not be reached" }
        return "the delivery failed: \(type(of: error))"
    }
}
