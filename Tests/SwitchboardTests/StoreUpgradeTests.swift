import Foundation
import SQLKit
import Testing

@testable import Switchboard

/// A store written by the version before capabilities had a seam (migrations up to 7: chat-shaped event log and
/// outbox columns) upgrades without losing anything: events keep their thread and author as a correlation and a
/// subject index, queued webhook deliveries become payloads naming their event and variant, and dead letters keep
/// what they would have sent.
@Suite struct StoreUpgradeTests {
    @Test(arguments: TestEngine.available)
    func aStoreOfThePreviousVersionUpgradesWithItsQueuedDeliveriesAndEvents(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            let resourceID = dev.id.uuidString.lowercased()
            let keyring = ResourceKeyring(directory: server.runtime.directory, masterKey: server.runtime.masterKey)
            let crypto = try #require(try await keyring.crypto(forResource: resourceID))
            let location = try await engine.makeDatabase(named: "previous", in: server.dataDirectory)
            let database = try await DatabaseFactory.open(location, logger: .quiet)
            defer { Task { await database.shutdown() } }
            let previous = Schema(name: "store", migrations: StoreSchema.schema.migrations.filter { $0.version <= 7 })
            try await Migrator.migrate(database, to: previous)

            let (thread, alice, bob) = ("19:abc@thread.v2", "8:acs:\(resourceID)_alice", "8:acs:\(resourceID)_bob")
            var data = ChatEventData(threadId: thread, transactionId: nil, time: Date(timeIntervalSince1970: 1_000), actor: alice)
            data.messageId = "1700"
            data.messageType = "text"
            data.messageBody = "hello"
            let sealedData = try crypto.seal(String(decoding: try JSONBody.encoder.encode(data), as: UTF8.self), field: EventLog.dataField)
            let variantKey = "\(CommunicationEventType.chatMessageReceived.rawValue)|\(bob)|"
            try await database.transaction { db in
                try await db.raw(
                    """
                    INSERT INTO events (resource_id, id, type, thread_id, message_id, actor, recipients, data, created_at)
                    VALUES (\(bind: resourceID), 1, 'ChatMessageReceived', \(bind: thread), '1700', \(bind: alice),
                            \(bind: "[\"\(alice)\",\"\(bob)\"]"),
                            \(bind: sealedData),
                            1000000)
                    """
                ).run()
                for (uuid, state, reference, payload) in [
                    ("pending-1", "pending", Int64(1), nil as Data?),
                    ("pending-gone", "pending", Int64(99), nil),
                    ("dead-1", "dead", Int64(1), try crypto.seal(#"{"id":"dead-1"}"#, field: Outbox.payloadField)),
                ] {
                    try await db.raw(
                        """
                        INSERT INTO outbox (resource_id, kind, target, reference, variant, message_uuid, thread_id, message_id, actor, state,
                                            attempts, max_attempts, next_attempt_at, created_at, expires_at, payload)
                        VALUES (\(bind: resourceID), 'webhook', 'hooks', \(bind: reference), \(bind: variantKey), \(bind: uuid),
                                \(bind: thread), '1700', \(bind: alice), \(bind: state), 0, 30, 0, 1000000, 99999999999999, \(bind: payload))
                        """
                    ).run()
                }
            }

            try await Migrator.migrate(
                database, to: StoreSchema.schema,
                context: MigrationContext(now: Timestamp(Date()), events: Capabilities.eventCatalog) { try await keyring.crypto(forResource: $0) })

            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            let events = try await database.read { db in
                try await EventLog.events(after: 0, scopes: [Correlation.chat(thread: thread).scope], resource: resource, limit: 10, in: db)
            }
            #expect(events.map(\.id) == [1])
            #expect(events.first?.correlation == Correlation.chat(thread: thread, message: "1700"))
            #expect(events.first?.subjectIndex == crypto.subjectIndex(.communicationUser(alice)))

            let claimed = try await Outbox.claim(from: database, owner: "n", limit: 10, now: Timestamp(Date()), lease: .seconds(60))
            #expect(claimed.map(\.deliveryID) == ["pending-1"], "the delivery whose event is gone had nothing left to send")
            let payload = try #require(try claimed.first?.opened(with: crypto).payload)
            let delivery = try JSONBody.decoder.decode(WebhookDelivery.self, from: payload)
            #expect(delivery.event == 1)
            #expect(
                delivery.variant
                    == EventGridVariant(.chatMessageReceived, subject: "thread/\(thread)/sender/\(alice)/recipient/\(bob)", recipient: bob))

            let states = try await database.read { db in
                try await db.select().columns("delivery_id", "state").from("outbox").all().map {
                    (try $0.decode(column: "delivery_id", as: String.self), try $0.decode(column: "state", as: String.self))
                }
            }
            #expect(Dictionary(uniqueKeysWithValues: states) == ["pending-1": "pending", "pending-gone": "dropped", "dead-1": "dead"])
            let letters = try await database.read { db in
                try await Outbox.deadLetters(target: "hooks", kind: "webhook", resource: resource, limit: 10, in: db)
            }
            #expect(letters.first?.item.snapshot == Data(#"{"id":"dead-1"}"#.utf8))

            // The author's erasure reaches what was queued before the upgrade.
            try await database.transaction { db in
                try await Outbox.withdraw(concerning: .communicationUser(alice), resource: resource, in: db)
                try await EventLog.remove(concerning: .communicationUser(alice), resource: resource, in: db)
            }
            let left = try await database.read { db in
                (
                    try await db.select().column("id").from("outbox").all().count,
                    try await db.select().column("id").from("events").all().count
                )
            }
            #expect(left.0 == 0 && left.1 == 0)
        }
    }
}
