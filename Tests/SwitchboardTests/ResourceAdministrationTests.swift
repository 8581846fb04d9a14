import Foundation
import SQLKit
import Testing

@testable import Switchboard

@Suite struct ResourceAdministrationTests {
    @Test(arguments: TestEngine.available)
    func resourcesAreCreatedListedRekeyedAndDeleted(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            let administration = server.runtime.administration
            let created = try await administration.create(name: "contoso", geography: .europe)
            #expect(created.record.geography == .europe)
            #expect(created.primaryKey != created.secondaryKey)
            #expect(Data(base64Encoded: created.primaryKey)?.count == 64)
            await #expect(throws: ResourceAdministrationError.nameTaken("contoso")) {
                try await administration.create(name: "contoso", geography: .unitedStates)
            }
            #expect(try await administration.list().map(\.name) == ["contoso"])

            let rekeyed = try await administration.regenerateKey(of: "contoso", slot: .primary)
            #expect(rekeyed.primaryKey != created.primaryKey)
            #expect(rekeyed.secondaryKey == created.secondaryKey)

            try await administration.delete(name: "contoso")
            #expect(try await administration.list().isEmpty)
            await #expect(throws: ResourceAdministrationError.notFound("contoso")) {
                try await administration.details(of: "contoso")
            }
        }
    }

    @Test(arguments: ["", "Dev", "-dev", "dev-", "dev_1", "dév", String(repeating: "a", count: 64)])
    func invalidNamesAreRefused(name: String) async throws {
        _ = try await TestServer.with { server in
            await #expect(throws: ResourceAdministrationError.invalidName(name)) {
                try await server.runtime.administration.create(name: name, geography: .europe)
            }
        }
    }

    @Test func theFirstStartCreatesTheDevResourceOnce() async throws {
        try await TestServer.with { server in
            try await server.runtime.bootstrap()
            let dev = try await server.runtime.administration.details(of: "dev")
            #expect(dev.record.geography == .unitedStates)
            try await server.runtime.administration.delete(name: "dev")
            try await server.runtime.bootstrap()
            #expect(try await server.runtime.administration.list().isEmpty, "a deleted dev resource stays deleted")
        }
    }

    /// A request still running on some node while its resource is deleted can write after the purge: maintenance
    /// removes rows whose resource the directory no longer knows, and leaves every known resource's rows alone.
    @Test(arguments: TestEngine.available)
    func rowsOfDeletedResourcesWrittenAfterThePurgeAreRemovedByMaintenance(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            let kept = try await server.createResource("kept", in: .unitedStates)
            let gone = try await server.runtime.administration.create(name: "gone", geography: .unitedStates)
            let keptHandle = try #require(try await server.runtime.resources.handle(named: "kept"))
            let goneHandle = try #require(try await server.runtime.resources.handle(named: "gone"))
            _ = try await server.identities().create(in: keptHandle, customID: nil, token: nil)
            try await server.runtime.administration.delete(name: "gone")
            // The late write of a request that looked the resource up before it was deleted.
            _ = try await server.identities().create(in: goneHandle, customID: nil, token: nil)
            let store = keptHandle.store
            func owners() async throws -> Set<String> {
                try await store.read { db in
                    Set(try await db.select().column("resource_id").from("identities").all(decodingColumn: "resource_id", as: String.self))
                }
            }
            #expect(try await owners() == [kept.id.uuidString.lowercased(), gone.record.id.uuidString.lowercased()])
            #expect(try await server.runtime.administration.purgeOrphans(in: store) == 1)
            #expect(try await owners() == [kept.id.uuidString.lowercased()])
            #expect(try await server.runtime.administration.purgeOrphans(in: store) == 0)
        }
    }

    @Test(arguments: TestEngine.available)
    func anInterruptedDeletionIsFinishedAtTheNextStart(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            let created = try await server.runtime.administration.create(name: "half", geography: .europe)
            try await server.runtime.directory.setState(of: created.record.id, to: .deleting)
            #expect(try await server.runtime.resources.handle(named: "half") == nil, "a resource being deleted is not served")
            try await server.runtime.bootstrap()
            #expect(try await server.runtime.directory.record(named: "half") == nil)
        }
    }
}
