import Foundation
import HTTPTypes
import HummingbirdTesting
import SQLKit
import Testing

@testable import Switchboard

/// Data written through the API stays in its resource's geography store, encrypted, and the directory holds no
/// personal data. Checked by reading the databases directly, not through the API.
@Suite struct ResidencyTests {
    static let version = "api-version=2025-06-30"

    @Test(arguments: TestEngine.available)
    func eachGeographyStoreHoldsOnlyItsResourcesDataAndNoPersonalValueInClear(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine, geographies: [.unitedStates, .europe]) { server in
            let us = try await server.createResource("us-app", in: .unitedStates)
            let eu = try await server.createResource("eu-app", in: .europe)
            let personal = ["alice.us@example.com", "bob.eu@example.com"]
            let userIDs = try await server.test { client in
                var userIDs: [String] = []
                for (resource, customID) in [(us, personal[0]), (eu, personal[1])] {
                    for index in 0..<3 {
                        let response = try await resource.send(
                            client, .post, "/identities?\(Self.version)",
                            json: #"{"customId":"\#(customID)\#(index)","createTokenWithScopes":["chat"]}"#)
                        #expect(response.status == .created)
                        let id = try #require((response.json["identity"] as? [String: Any])?["id"] as? String)
                        userIDs.append(id)
                    }
                }
                // The blind index finds the identity again by its custom id.
                let again = try await eu.send(client, .post, "/identities?\(Self.version)", json: #"{"customId":"bob.eu@example.com0"}"#)
                #expect((again.json["identity"] as? [String: Any])?["id"] as? String == userIDs[3])
                return userIDs
            }
            // Chat: a topic, display names, a message and its metadata in each geography.
            for (name, suffix) in [("us-app", "us"), ("eu-app", "eu")] {
                let alice = try await ChatUser.create(in: server, resource: name)
                let bob = try await ChatUser.create(in: server, resource: name)
                try await server.test { client in
                    let thread = try await alice.createThread(
                        client, topic: "Topic-\(suffix)-confidential", participants: [bob.participant("Bob-\(suffix)-Smith")])
                    let sent = try await alice.send(
                        client, .post, "/chat/threads/\(ChatUser.path(thread))/messages",
                        json:
                            #"{"content":"Message-\#(suffix)-confidential","senderDisplayName":"Alice-\#(suffix)-Jones","metadata":{"m":"Meta-\#(suffix)-confidential"}}"#
                    )
                    #expect(sent.status == .created)
                }
            }
            let personalValues =
                personal
                + ["us", "eu"].flatMap { suffix in
                    [
                        "Topic-\(suffix)-confidential", "Bob-\(suffix)-Smith", "Message-\(suffix)-confidential", "Alice-\(suffix)-Jones",
                        "Meta-\(suffix)-confidential",
                    ]
                }

            let usStore = try await server.runtime.stores.store(for: .unitedStates)
            let euStore = try await server.runtime.stores.store(for: .europe)
            #expect(usStore.location != euStore.location)
            // Every table that holds resource data holds only its own geography's resource's rows.
            for table in StoreSchema.resourceTables {
                #expect(try await Self.owners(of: table, in: usStore).isSubset(of: [us.id.uuidString.lowercased()]), "\(table)")
                #expect(try await Self.owners(of: table, in: euStore).isSubset(of: [eu.id.uuidString.lowercased()]), "\(table)")
            }
            for table in ["identities", "chat_threads", "chat_messages", "chat_memberships", "events"] {
                #expect(try await Self.owners(of: table, in: usStore) == [us.id.uuidString.lowercased()], "\(table)")
                #expect(try await Self.owners(of: table, in: euStore) == [eu.id.uuidString.lowercased()], "\(table)")
            }

            // No personal value in clear anywhere: every column of every table, as text, and the SQLite files' bytes.
            let dumps = [
                try await Self.dump(usStore), try await Self.dump(euStore), try await Self.dump(server.runtime.directory.database),
            ]
            for dump in dumps {
                for value in personalValues {
                    #expect(!dump.contains(value), "\(value) found in clear")
                    // PostgreSQL renders binary columns as hex: a value stored unsealed in one would show so.
                    #expect(!dump.contains(Data(value.utf8).map { String(format: "%02x", $0) }.joined()), "\(value) found in clear (hex)")
                }
            }
            // The directory has no user ids either.
            for id in userIDs { #expect(!dumps[2].contains(String(id.suffix(36)))) }
            for file in Self.sqliteFiles(under: server.dataDirectory) {
                let bytes = try Data(contentsOf: file)
                for value in personalValues {
                    #expect(bytes.range(of: Data(value.utf8)) == nil, "\(value) found in \(file.lastPathComponent)")
                }
            }

            // Deleting a resource deletes its rows from its store only, from every table.
            try await server.runtime.administration.delete(name: "eu-app")
            for table in StoreSchema.resourceTables {
                #expect(try await Self.owners(of: table, in: euStore).isEmpty, "\(table)")
            }
            #expect(try await Self.owners(of: "identities", in: usStore) == [us.id.uuidString.lowercased()])
            #expect(try await Self.owners(of: "chat_messages", in: usStore) == [us.id.uuidString.lowercased()])
        }
    }

    @Test func aResourceInEuropeOnItsOwnConfiguredStoreKeepsItsDataThere() async throws {
        try await withTemporaryDirectory { directory in
            let europePath = directory.appendingPathComponent("elsewhere/europe.sqlite").path
            let configuration = ServerConfiguration(
                dataDirectory: directory.appendingPathComponent("data"), tls: .disabled,
                stores: [.europe: .sqlite(path: europePath)], masterKey: .inline(MasterKey.generate().base64))
            let runtime = try await Runtime.open(configuration, logger: .quiet)
            let server = TestServer(runtime: runtime, dataDirectory: configuration.dataDirectory)
            let eu = try await server.createResource("eu-app", in: .europe)
            try await server.test { client in
                let response = try await eu.send(client, .post, "/identities?\(Self.version)", json: #"{"customId":"carol@example.eu"}"#)
                #expect(response.status == .created)
            }
            let store = try await runtime.stores.store(for: .europe)
            #expect(store.location == .sqlite(path: europePath))
            #expect(try await Self.owners(of: "identities", in: store) == [eu.id.uuidString.lowercased()])
            let defaultStores = Self.sqliteFiles(under: configuration.defaultStoreDirectory)
            #expect(!defaultStores.contains { $0.lastPathComponent.hasPrefix("europe") })
            await runtime.shutdown()
        }
    }

    static func owners(of table: String, in store: any Database) async throws -> Set<String> {
        try await store.read { db in
            Set(try await db.select().column("resource_id").from(table).all(decodingColumn: "resource_id", as: String.self))
        }
    }

    /// Every row of every table, as text.
    static func dump(_ database: any Database) async throws -> String {
        try await database.read { db in
            let tables: [String]
            switch database.engine {
            case .sqlite:
                tables = try await db.raw("SELECT name FROM sqlite_master WHERE type = 'table'").all(decodingColumn: "name", as: String.self)
            case .postgres:
                tables = try await db.raw("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'").all(
                    decodingColumn: "name", as: String.self)
            }
            var text = ""
            for table in tables {
                let query: SQLQueryString =
                    database.engine == .postgres
                    ? "SELECT CAST(t.* AS TEXT) AS row FROM \(ident: table) t"
                    : "SELECT * FROM \(ident: table)"
                for row in try await db.raw(query).all() {
                    for column in row.allColumns {
                        if let value = try? row.decode(column: column, as: String.self) { text += value + "\n" }
                        if let value = try? row.decode(column: column, as: Data.self) {
                            text += String(decoding: value, as: UTF8.self) + "\n"
                        }
                    }
                }
            }
            return text
        }
    }

    static func sqliteFiles(under directory: URL) -> [URL] {
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
        return (enumerator?.allObjects as? [URL] ?? []).filter {
            $0.lastPathComponent.contains(".sqlite")
        }
    }
}

/// `switchboard residency report`'s check: each store's resources with their rows, and a row put into the wrong
/// geography's store found.
@Suite struct ResidencyReportTests {
    @Test func theReportCountsEachResourcesRowsInItsStoreAndFindsARowInAnotherGeography() async throws {
        try await TestServer.with { server in
            _ = try await server.createResource("shop", in: .unitedStates)
            _ = try await server.createResource("paris", in: .europe)
            let identities = try server.identities()
            let shop = try #require(try await server.runtime.resources.handle(named: "shop"))
            let paris = try #require(try await server.runtime.resources.handle(named: "paris"))
            _ = try await identities.create(in: shop, customID: nil, token: nil)
            _ = try await identities.create(in: paris, customID: nil, token: nil)

            var report = try await ResidencyReport.make(runtime: server.runtime)
            #expect(report.holds)
            let us = try #require(report.stores.first { $0.geography == "unitedstates" })
            let europe = try #require(report.stores.first { $0.geography == "europe" })
            #expect(us.resources.map(\.name) == ["shop"] && europe.resources.map(\.name) == ["paris"])
            #expect(us.resources.first?.tables["identities"] == 1)

            // A row of the European resource written into the United States store is reported, and fails the check.
            try await shop.store.transaction { db in
                try await db.insert(into: "identities").columns("resource_id", "id", "created_at", "token_revision")
                    .values(SQLBind(paris.storageID), SQLBind(UUID().uuidString.lowercased()), SQLBind(Int64(0)), SQLBind(0)).run()
            }
            report = try await ResidencyReport.make(runtime: server.runtime)
            #expect(!report.holds)
            #expect(report.stores.first { $0.geography == "unitedstates" }?.misplaced.map(\.name) == ["paris"])
        }
    }
}
