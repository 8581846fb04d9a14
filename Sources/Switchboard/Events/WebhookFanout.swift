import Crypto
import Foundation
import SQLKit

/// Queues a webhook delivery for every validated subscription an event matches, in the transaction that logs
/// the event.
enum WebhookFanout {
    static func enqueue(_ events: [(id: Int64, event: NewEvent)], resource: ResourceHandle, in db: any SQLDatabase) async throws {
        let subscriptions = try await EventSubscriptionStore.all(resource: resource, in: db).filter { $0.state == .succeeded }
        guard !subscriptions.isEmpty else { return }
        let now = Timestamp.now
        var items: [NewOutboxItem] = []
        for (id, event) in events {
            let logged = LoggedEvent(
                id: id, type: event.type, threadID: event.threadID, messageID: event.messageID, actor: event.actor, recipients: event.recipients,
                data: event.data, createdAt: now)
            for variant in EventGridProjection.variants(of: logged) {
                for subscription in subscriptions where subscription.filter.matches(type: variant.type.rawValue, subject: variant.subject) {
                    items.append(
                        NewOutboxItem(
                            kind: WebhookHandler.kind, target: subscription.name, reference: id, variant: variant.key,
                            messageUUID: eventID(resource: resource, event: id, variant: variant.key), threadID: event.threadID, messageID: event.messageID,
                            actor: event.actor, maxAttempts: subscription.maxDeliveryAttempts,
                            expiresAt: now.adding(seconds: Int64(subscription.eventTimeToLiveInMinutes) * 60), payload: nil))
                }
            }
        }
        try await Outbox.enqueue(items, resource: resource, in: db, now: now)
    }

    /// The id an Event Grid event carries: derived from the resource, the logged event and the variant, so every
    /// delivery of the same event (to several subscriptions, retried, replayed) has the same id to dedupe on.
    static func eventID(resource: ResourceHandle, event: Int64, variant: String) -> String {
        var bytes = Array(SHA256.hash(data: Data("\(resource.storageID)/\(event)/\(variant)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0f) | 0x50  // version 5 (name-based)
        bytes[8] = (bytes[8] & 0x3f) | 0x80  // RFC 4122 variant
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
            bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15])).uuidString.lowercased()
    }
}
