import Foundation
import SQLKit

/// Queues a webhook delivery for every validated subscription an event matches, in the transaction that logs the
/// event: a consumer of the event log.
struct WebhookFanout: EventLogConsumer {
    func appended(_ events: [AppendedEvent], in tx: Transaction) async throws {
        let variants = events.map { ($0, $0.eventGridVariants) }.filter { !$0.1.isEmpty }
        guard !variants.isEmpty else { return }
        let subscriptions = try await EventSubscriptionStore.all(resource: tx.resource, in: tx.db).filter { $0.state == .succeeded }
        guard !subscriptions.isEmpty else { return }
        var items: [NewOutboxItem] = []
        for (event, eventVariants) in variants {
            for subscription in subscriptions {
                items += try Self.items(
                    for: event.header.id, variants: eventVariants, correlation: event.correlation,
                    subjectIndex: event.subjectIndex, subscription: subscription,
                    resource: tx.resource, now: tx.now)
            }
        }
        try await Outbox.enqueue(items, in: tx)
    }

    /// The deliveries of one event's variants to one subscription: those its filter lets through. Fan-out and
    /// replay both build them here.
    static func items(
        for event: Int64, variants: [EventGridVariant], correlation: Correlation?, subjectIndex: Data?,
        subscription: EventSubscription, resource: ResourceHandle, now: Timestamp
    ) throws -> [NewOutboxItem] {
        try variants.filter { subscription.filter.matches(type: $0.type.rawValue, subject: $0.subject) }.map { variant in
            var item = NewOutboxItem(
                kind: WebhookHandler.kind, target: subscription.name,
                deliveryID: WebhookDelivery.eventID(resource: resource, event: event, variant: variant), correlation: correlation,
                payload: try JSONBody.encoder.encode(WebhookDelivery(event: event, variant: variant)),
                maxAttempts: subscription.maxDeliveryAttempts, expiresAt: now.adding(subscription.eventTimeToLive))
            // The event's own subject, so erasing its author withdraws the delivery with the event.
            item.subjectIndex = subjectIndex
            return item
        }
    }
}

extension EventSubscription {
    /// How long an event may wait for delivery (`eventTimeToLiveInMinutes`).
    var eventTimeToLive: Duration { .seconds(Int64(eventTimeToLiveInMinutes) * 60) }
}
