import SQLKit
import Testing

@testable import Switchboard

@Suite("Statement cache")
struct StatementCacheTests {
    @Test func aRepeatedStatementIsPreparedOnce() async throws {
        try await withDatabase { database in
            let writer = database.writer.connection
            let before = writer.prepareCount
            for index in 0..<100 {
                try await database.transaction { try await $0.insertItem("item \(index)") }
            }
            #expect(writer.prepareCount - before == 1)

            let readersBefore = database.readers.connections.map(\.prepareCount).reduce(0, +)
            for _ in 0..<20 { _ = try await database.itemNames() }
            #expect(database.readers.connections.map(\.prepareCount).reduce(0, +) - readersBefore <= database.readers.connections.count)
        }
    }

    @Test func theLeastRecentlyUsedStatementIsEvicted() {
        let statements = (1...3).map { OpaquePointer(bitPattern: $0)! }
        var cache = StatementCache(capacity: 2)
        #expect(cache.insert(statements[0], for: "a") == nil)
        #expect(cache.insert(statements[1], for: "b") == nil)
        #expect(cache.statement(for: "a") == statements[0])
        #expect(cache.insert(statements[2], for: "c") == statements[1])
        #expect(cache.statement(for: "b") == nil)
        #expect(Set(cache.removeAll()) == [statements[0], statements[2]])
        #expect(cache.count == 0)
    }

    @Test func theCacheKeepsTheMostRecent256Statements() async throws {
        try await withDatabase { database in
            let writer = database.writer.connection
            @Sendable func select(width: Int) async throws {
                try await database.transaction { db in
                    _ = try await db.select().column("id").from("items").where("id", .in, Array(0..<width)).all()
                }
            }
            for width in 1...300 { try await select(width: width) }
            let before = writer.prepareCount
            try await select(width: 300)
            #expect(writer.prepareCount == before)
            try await select(width: 1)
            #expect(writer.prepareCount == before + 1)
        }
    }
}
