import SQLKit

/// What a resource keeps about its rooms in its geography's store: the rooms, their participants (communication
/// users of the resource, by raw id, with their role) and, for a day, the answer to each `Repeatability-Request-Id`
/// a room was created with.
enum RoomsSchema {
    static let v1 = Migration(18, "rooms") { db, _ in
        try await db.create(table: "rooms")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .column("valid_from", type: .bigint, .notNull)
            .column("valid_until", type: .bigint, .notNull)
            .column("pstn_dial_out", type: .int, .notNull)
            .column("next_position", type: .bigint, .notNull)
            .primaryKey("resource_id", "id")
            .run()
        // Lists page in creation order.
        try await db.create(index: "rooms_created").on("rooms").column("resource_id").column("created_at").column("id").run()

        // A participant keeps the position it was added at (a change of role keeps it): lists page by position.
        try await db.create(table: "room_participants")
            .column("resource_id", type: .text, .notNull)
            .column("room_id", type: .text, .notNull)
            .column("participant", type: .text, .notNull)
            .column("role", type: .text, .notNull)
            .column("position", type: .bigint, .notNull)
            .primaryKey("resource_id", "room_id", "participant")
            .run()
        try await db.create(index: "room_participants_position").on("room_participants")
            .column("resource_id").column("room_id").column("position").run()
        // Deleting an identity removes it from every room of the resource.
        try await db.create(index: "room_participants_participant").on("room_participants")
            .column("resource_id").column("participant").run()

        // The first answer to a create with a repeatability id, replayed for that id for a day.
        try await db.create(table: "room_repeatability")
            .column("resource_id", type: .text, .notNull)
            .column("request_id", type: .text, .notNull)
            .column("room_id", type: .text, .notNull)
            .column("document", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "request_id")
            .run()
        try await db.create(index: "room_repeatability_created").on("room_repeatability").column("created_at").run()
    }

    static let migrations = [v1]
    static let tables = ["rooms", "room_participants", "room_repeatability"]
    /// Where a person's data is: the rooms they take part in.
    static let erasableTables = ["room_participants"]
}
