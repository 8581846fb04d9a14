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
