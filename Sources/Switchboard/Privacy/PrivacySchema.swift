import SQLKit

/// Data-subject requests in a geography's store.
///
/// A request is an export or an erasure of the identifiers of one person. What it is asked about travels only in its
/// outbox row's payload (sealed, erased once the row completes); the request keeps its state, its running tally of
/// what was erased (counts, never values) and its result: an export's archive (sealed, a day) or an erasure's signed
/// receipt (keyed hashes and counts only). An export's subjects are kept as blind indexes, so erasing someone also
/// erases the archives made of them.
enum PrivacySchema {
    static let v1 = Migration(19, "privacy requests") { db, _ in
        try await db.create(table: "privacy_requests")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            // `export` or `erasure`.
            .column("kind", type: .text, .notNull)
            // NotStarted, Running, Succeeded, Failed.
            .column("status", type: .text, .notNull)
            .column("identifier_count", type: .int, .notNull)
            // An erasure's counts so far (JSON: category → kind → count), so a pass interrupted by a crash is not
            // forgotten when it runs again.
            .column("tally", type: .text)
            // An export's archive (sealed JSON) or an erasure's receipt (a JWS, not personal).
            .column("result", type: .blob)
            .column("error", type: .text)
            .column("created_at", type: .bigint, .notNull)
            .column("started_at", type: .bigint)
            .column("finished_at", type: .bigint)
            .primaryKey("resource_id", "id")
            .run()
        try await db.create(index: "privacy_requests_finished").on("privacy_requests").column("kind").column("finished_at").run()

        try await db.create(table: "privacy_request_subjects")
            .column("resource_id", type: .text, .notNull)
            .column("request_id", type: .text, .notNull)
            .column("subject_index", type: .blob, .notNull)
            .primaryKey("resource_id", "request_id", "subject_index")
            .run()
        try await db.create(index: "privacy_request_subjects_index").on("privacy_request_subjects").column("resource_id")
            .column("subject_index").run()
    }

    static let migrations = [v1]
    static let tables = ["privacy_requests", "privacy_request_subjects"]
}
