import Foundation
import NIOHTTP1
import SQLKit

/// Delivers queued events to webhook subscriptions the way Event Grid does: Event Grid schema as a JSON array,
/// CloudEvents as one event (`application/cloudevents+json`) or a batch (`application/cloudevents-batch+json`);
/// `aeg-*` headers; success on 200–204; no retry on 400, 401, 403 and 413 (straight to the dead-letter store);
/// retries on anything else, timeouts and connection failures.
public struct WebhookHandler: OutboxHandler {
    public static let kind = "webhook"
    public var kind: String { Self.kind }
    let client: WebhookClient

    public init(client: WebhookClient) {
        self.client = client
    }

    static let rejectedStatuses: Set<Int> = [400, 401, 403, 413]

    public func batchLimit(target: String, resource: ResourceHandle) async -> Int {
        let subscription = try? await resource.store.read { db in try await EventSubscriptionStore.find(target, resource: resource, in: db) }
        return subscription?.maxEventsPerBatch ?? 1
    }

    public func snapshot(_ item: OutboxItem, resource: ResourceHandle) async -> Data? {
        guard let (rendered, _) = try? await render([item], resource: resource).first, let rendered else { return nil }
        return try? JSONBody.encoder.encode(rendered)
    }

    /// Renders items from the event log, or from the snapshot a dead-lettered item carries.
    func render(_ items: [OutboxItem], resource: ResourceHandle) async throws -> [(JSONValue?, EventSubscription?)] {
        let target = items.first?.target ?? ""
        let (subscription, events) = try await resource.store.read { db in
            (
                try await EventSubscriptionStore.find(target, resource: resource, in: db),
                try await EventLog.events(ids: items.compactMap(\.reference), resource: resource, in: db)
            )
        }
        let byID = Dictionary(uniqueKeysWithValues: events.map { ($0.id, $0) })
        return items.map { item in
            if let sealed = item.payload, let text = try? resource.crypto.open(sealed, field: Outbox.payloadField),
                let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            {
                return (value, subscription)
            }
            let event = item.reference.flatMap { byID[$0] }
            return (EventGridEnvelope.render(item, event: event, schema: subscription?.schema ?? .eventGrid, resource: resource), subscription)
        }
    }

    public func deliver(_ items: [OutboxItem], resource: ResourceHandle) async -> [DeliveryResult] {
        let rendered: [(JSONValue?, EventSubscription?)]
        do {
            rendered = try await render(items, resource: resource)
        } catch {
            return items.map { _ in DeliveryResult(.retry, error: "the store could not be read") }
        }
        guard let subscription = rendered.first?.1 else {
            return items.map { _ in DeliveryResult(.drop, error: "the subscription was deleted") }
        }
        guard subscription.state == .succeeded else {
            return items.map { _ in DeliveryResult(.retry, error: "the subscription awaits validation") }
        }
        var results = Array(repeating: DeliveryResult(.drop, error: "the event's content was deleted"), count: items.count)
        // Each event is encoded once: for the batch's size, its body and the snapshot kept if it is dead-lettered.
        let encoded = rendered.enumerated().compactMap { index, pair in
            pair.0.flatMap { try? JSONBody.encoder.encode($0) }.map { (index, $0) }
        }
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
        let first = items[sendable[0].0]
        var headers = [
            ("Content-Type", contentType),
            ("aeg-event-type", "Notification"),
            ("aeg-subscription-name", subscription.name.uppercased()),
            ("aeg-delivery-count", String(first.attempts)),
            ("aeg-metadata-version", "1"),
            ("aeg-data-version", "1.0"),
            ("X-Switchboard-Signature", WebhookClient.signature(secret: subscription.signingSecret, body: body)),
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

    static func describe(_ error: any Error) -> String {
        if error is WebhookTimeout { return "the endpoint did not answer in time" }
        if let refused = error as? WebhookAddressRefused { return refused.reason }
        let text = String(describing: error)
        if text.contains("deadline") || text.contains("imeout") { return "the endpoint did not answer in time" }
        if text.contains("onnect") { return "the endpoint could not be reached" }
        return "the delivery failed: \(type(of: error))"
    }
}
