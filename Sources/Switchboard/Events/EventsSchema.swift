import Foundation
import SQLKit

/// The Events capability's part of a store: `event_subscriptions` (created with the outbox in migration 5, before
/// capabilities brought their own migrations) and its later changes.
enum EventsSchema {
    static let v1 = Migration(6, "webhook batch size") { db, _ in
        try await db.alter(table: "event_subscriptions").column("preferred_batch_kb", type: .int, .notNull, .default(64)).run()
    }

    /// Pending webhook deliveries queued before outbox rows carried payloads named their event and variant in the
    /// `reference` and `variant` columns; they now carry a ``WebhookDelivery``. The variant's subject is found
    /// again from the event; a delivery whose event is gone had nothing left to send, and is dropped.
    static let v2 = Migration(10, "webhook deliveries as payloads") { db, context in
        let rows = try await db.select().columns("id", "resource_id", "reference", "variant").from("outbox")
            .where("kind", .equal, WebhookHandler.kind).where("state", .equal, OutboxState.pending.rawValue)
            .where("snapshot", .is, SQLLiteral.null).where("reference", .isNot, SQLLiteral.null)
            .all()
        for row in rows {
            let id = try row.decode(column: "id", as: Int64.self)
            let resourceID = try row.decode(column: "resource_id", as: String.self)
            guard let crypto = try await context.crypto(forResource: resourceID) else { continue }
            let event = try row.decode(column: "reference", as: Int64.self)
            let key = try row.decode(column: "variant", as: String?.self) ?? ""
            let logged = try await db.select().columns("id", "type", "recipients", "data", "created_at").from("events")
                .where("resource_id", .equal, resourceID).where("id", .equal, event)
                .first()
            let decoded = try logged.flatMap { row -> DecodedEvent? in
                let sealed = try row.decode(column: "data", as: Data.self)
                let recipients = try row.decode(column: "recipients", as: String.self)
                return context.events.decode(
                    LoggedEvent(
                        header: EventHeader(
                            id: event, type: try row.decode(column: "type", as: String.self),
                            recipients: (try? JSONBody.decoder.decode([String].self, from: Data(recipients.utf8))) ?? [],
                            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self))),
                        data: try crypto.open(data: sealed, field: EventLog.dataField)))
            }
            let variant = decoded?.eventGridVariants.first {
                "\($0.type.rawValue)|\($0.recipient ?? "")|\($0.participant ?? "")" == key
            }
            if let variant {
                let payload = try JSONBody.encoder.encode(WebhookDelivery(event: event, variant: variant))
                try await db.update("outbox").set("payload", to: try crypto.seal(data: payload, field: Outbox.payloadField))
                    .where("id", .equal, id).run()
            } else {
                try await db.update("outbox").set("state", to: OutboxState.dropped.rawValue)
                    .set("completed_at", to: context.now.milliseconds).set("last_error", to: "the event's content was deleted")
                    .where("id", .equal, id).run()
            }
        }
    }

    static let migrations = [v1, v2]
    static let tables = ["event_subscriptions"]
}
