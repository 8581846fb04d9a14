import Foundation
import SQLKit

/// What happens to a resource's events after they are logged, as its owner sees it: the dead letters of a
/// subscription and their redelivery, the replay of the log to a subscription, and the log itself rendered as
/// Event Grid events.
public struct EventDeliveryService: Sendable {
    let changes: Changes
    let catalog: EventCatalog
    let clock: any WallClock

    public init(changes: Changes, catalog: EventCatalog, clock: any WallClock) {
        self.changes = changes
        self.catalog = catalog
        self.clock = clock
    }

    /// The newest dead letters of a subscription.
    public func deadLetters(of subscription: EventSubscription, resource: ResourceHandle, limit: Int) async throws -> [Outbox.DeadLetter] {
        try await resource.store.read { db in
            try await Outbox.deadLetters(target: subscription.name, kind: WebhookHandler.kind, resource: resource, limit: limit, in: db)
        }
    }

    /// Queues the subscription's dead letters again (all, or those with the given event ids) with its retry policy;
    /// returns how many.
    public func redeliver(_ ids: [String]?, of subscription: EventSubscription, resource: ResourceHandle) async throws -> Int {
        try await changes.run(in: resource) { tx in
            let count = try await Outbox.redeliver(
                target: subscription.name, kind: WebhookHandler.kind, deliveryIDs: ids, attempts: subscription.maxDeliveryAttempts,
                timeToLive: subscription.eventTimeToLive, resource: resource, now: tx.now, in: tx.db)
            if count > 0 { tx.leaves(.outbox) }
            return count
        }
    }

    /// Queues every logged event since `since` that the subscription's filter lets through, again; returns how many
    /// deliveries. Their ids are the events' own, so a receiver dedupes what it already has.
    public func replay(since: Timestamp, to subscription: EventSubscription, resource: ResourceHandle) async throws -> Int {
        guard subscription.state == .succeeded else { throw EventsError.notValidated }
        let catalog = self.catalog
        return try await changes.run(in: resource) { tx in
            var queued = 0
            var cursor: Int64 = 0
            while true {
                let page = try await EventLog.events(after: cursor, scopes: nil, resource: resource, limit: 500, in: tx.db)
                guard let last = page.last else { break }
                cursor = last.id
                var items: [NewOutboxItem] = []
                for event in page where event.createdAt >= since {
                    guard let decoded = catalog.decode(event) else { continue }
                    items += try WebhookFanout.items(
                        for: event.id, variants: decoded.eventGridVariants, correlation: event.correlation,
                        subjectIndex: event.subjectIndex, subscription: subscription, resource: resource, now: tx.now)
                }
                try await Outbox.enqueue(items, in: tx)
                queued += items.count
            }
            return queued
        }
    }

    /// A page of the log as Event Grid events, oldest first, from after `cursor`: events since `since`, of `type`
    /// when given. An event's variants stay on one page, so a page may run a little over `pageSize`. Returns the
    /// events and where the next page starts (`nil` at the end of the log).
    public func events(
        since: Timestamp, type: String?, after cursor: Int64, pageSize: Int, resource: ResourceHandle
    ) async throws -> (events: [AnyEncodable], next: Int64?) {
        var items: [AnyEncodable] = []
        var cursor = cursor
        while items.count < pageSize {
            let after = cursor
            let page = try await resource.store.read { db in
                try await EventLog.events(after: after, scopes: nil, resource: resource, limit: 200, in: db)
            }
            guard !page.isEmpty else { return (items, nil) }
            for event in page {
                cursor = event.id
                guard event.createdAt >= since, let decoded = catalog.decode(event) else { continue }
                for variant in decoded.eventGridVariants
                where type.map({ variant.type.rawValue.caseInsensitiveCompare($0) == .orderedSame }) ?? true {
                    guard let data = decoded.eventGridData(for: variant) else { continue }
                    items.append(
                        AnyEncodable(
                            EventGridEnvelope.EventGridEvent(
                                id: WebhookDelivery.eventID(resource: resource, event: event.id, variant: variant),
                                topic: EventGridEnvelope.topic(for: resource), subject: variant.subject, data: AnyEncodable(data),
                                eventType: variant.type.rawValue, dataVersion: "1.0", metadataVersion: "1",
                                eventTime: APIDate.format(event.createdAt.date))))
                }
                if items.count >= pageSize { break }
            }
        }
        return (items, cursor)
    }

    /// How far back the log can be listed and replayed: a day, as Event Grid keeps events (the log itself keeps an
    /// hour more, ``EventLog/retention``, so nothing queued outlives its event).
    public static let window: Duration = .seconds(86_400)

    /// Where a window of the log starts: `hours` back (1–24), or `date`, or a day back.
    public func since(_ date: Date?, hours: Int?) throws -> Timestamp {
        if let hours {
            guard (1...Int(Self.window.components.seconds / 3600)).contains(hours) else {
                throw APIError.badRequest(code: "InvalidHours", "hours must be between 1 and 24: events are kept for a day.", target: "hours")
            }
            return clock.now.adding(seconds: -Int64(hours) * 3600)
        }
        return date.map(Timestamp.init) ?? clock.now.subtracting(Self.window)
    }
}
