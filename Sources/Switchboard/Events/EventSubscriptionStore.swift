import Foundation
import SQLKit

/// The queries of event subscriptions. The endpoint URL (which may carry a secret) and the signing secret are
/// sealed.
enum EventSubscriptionStore {
    static let urlField = PersonalField(rawValue: "event_subscriptions.endpoint_url")
    static let secretField = PersonalField(rawValue: "event_subscriptions.signing_secret")

    static func upsert(_ subscription: EventSubscription, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.delete(from: "event_subscriptions").where("resource_id", .equal, resource.storageID)
            .where("name", .equal, subscription.name).run()
        let types = try subscription.filter.includedEventTypes.map { String(decoding: try JSONBody.encoder.encode($0), as: UTF8.self) }
        try await db.insert(into: "event_subscriptions")
            .columns(
                "resource_id", "name", "endpoint_url", "endpoint_base_url", "delivery_schema", "included_types", "subject_begins_with",
                "subject_ends_with", "subject_case_sensitive", "max_attempts", "ttl_minutes", "max_events_per_batch", "state",
                "validation_code", "signing_secret", "created_at", "updated_at", "preferred_batch_kb"
            )
            .values(
                SQLBind(resource.storageID), SQLBind(subscription.name),
                SQLBind(try resource.crypto.seal(subscription.endpointURL, field: urlField)), SQLBind(subscription.endpointBaseURL),
                SQLBind(subscription.schema.rawValue), SQLBind(types), SQLBind(subscription.filter.subjectBeginsWith),
                SQLBind(subscription.filter.subjectEndsWith), SQLBind(subscription.filter.isSubjectCaseSensitive ? 1 : 0),
                SQLBind(subscription.maxDeliveryAttempts), SQLBind(subscription.eventTimeToLiveInMinutes),
                SQLBind(subscription.maxEventsPerBatch), SQLBind(subscription.state.rawValue), SQLBind(subscription.validationCode),
                SQLBind(try resource.crypto.seal(subscription.signingSecret, field: secretField)),
                SQLBind(subscription.createdAt.milliseconds), SQLBind(subscription.updatedAt.milliseconds),
                SQLBind(subscription.preferredBatchSizeInKilobytes)
            )
            .run()
    }

    /// Read by every event's fan-out: written out (see WrittenOutSQL.swift).
    static func all(resource: ResourceHandle, in db: any SQLDatabase) async throws -> [EventSubscription] {
        try await db.raw("SELECT * FROM event_subscriptions WHERE resource_id = \(bind: resource.storageID) ORDER BY name")
            .all().map { try decode($0, resource: resource) }
    }

    static func find(_ name: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> EventSubscription? {
        try await db.select().columns(SQLLiteral.all).from("event_subscriptions").where("resource_id", .equal, resource.storageID)
            .where("name", .equal, name).first().map { try decode($0, resource: resource) }
    }

    static func delete(_ name: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Bool {
        let deleted = try await db.delete(from: "event_subscriptions").where("resource_id", .equal, resource.storageID)
            .where("name", .equal, name).returning("name").all()
        try await Outbox.withdraw(kind: WebhookHandler.kind, target: name, resource: resource, in: db)
        return !deleted.isEmpty
    }

    static func setState(_ name: String, to state: EventSubscription.State, at now: Timestamp, resource: ResourceHandle, in db: any SQLDatabase)
        async throws
    {
        try await db.update("event_subscriptions").set("state", to: state.rawValue).set("updated_at", to: now.milliseconds)
            .where("resource_id", .equal, resource.storageID).where("name", .equal, name).run()
    }

    static func decode(_ row: any SQLRow, resource: ResourceHandle) throws -> EventSubscription {
        let types = try row.decode(column: "included_types", as: String?.self)
        var subscription = EventSubscription(
            name: try row.decode(column: "name", as: String.self),
            endpointURL: try resource.crypto.open(try row.decode(column: "endpoint_url", as: Data.self), field: urlField),
            schema: EventSubscription.DeliverySchema(rawValue: try row.decode(column: "delivery_schema", as: String.self)) ?? .eventGrid,
            filter: EventSubscription.Filter(
                includedEventTypes: types.flatMap { try? JSONBody.decoder.decode([String].self, from: Data($0.utf8)) },
                subjectBeginsWith: try row.decode(column: "subject_begins_with", as: String?.self),
                subjectEndsWith: try row.decode(column: "subject_ends_with", as: String?.self),
                isSubjectCaseSensitive: try row.decode(column: "subject_case_sensitive", as: Int.self) == 1),
            maxDeliveryAttempts: try row.decode(column: "max_attempts", as: Int.self),
            eventTimeToLiveInMinutes: try row.decode(column: "ttl_minutes", as: Int.self),
            maxEventsPerBatch: try row.decode(column: "max_events_per_batch", as: Int.self),
            state: EventSubscription.State(rawValue: try row.decode(column: "state", as: String.self)) ?? .awaitingManualAction,
            validationCode: try row.decode(column: "validation_code", as: String?.self),
            signingSecret: try resource.crypto.open(try row.decode(column: "signing_secret", as: Data.self), field: secretField),
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
            updatedAt: Timestamp(milliseconds: try row.decode(column: "updated_at", as: Int64.self)))
        subscription.preferredBatchSizeInKilobytes = try row.decode(column: "preferred_batch_kb", as: Int.self)
        return subscription
    }
}
