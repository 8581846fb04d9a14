import Crypto
import Foundation
import SQLKit

/// Creating, inspecting, re-keying and deleting resources. Used by the `resource` commands and by the first
/// start of `serve`; works on the directory and stores directly, whether a server is running or not.
public struct ResourceAdministration: Sendable {
    public let directory: Directory
    public let stores: StoreRegistry
    public let masterKey: MasterKey
    let clock: any WallClock

    public init(directory: Directory, stores: StoreRegistry, masterKey: MasterKey, clock: any WallClock = SystemClock()) {
        self.directory = directory
        self.stores = stores
        self.masterKey = masterKey
        self.clock = clock
    }

    /// A resource with its access keys in the text form clients use.
    public struct Details: Sendable {
        public let record: ResourceRecord
        public let primaryKey: String
        public let secondaryKey: String
    }

    /// Creates a resource in `geography`, with fresh access keys, data key and token-signing key, and its messaging
    /// policy in `policyMode` (refusing by default).
    @discardableResult
    public func create(name: String, geography: Geography, policyMode: PolicyMode = .enforce) async throws -> Details {
        try ResourceName.validate(name)
        // Open (and migrate) the geography's store first, so a resource never exists without a working store.
        let store = try await stores.store(for: geography)
        let id = UUID()
        let primary = Self.newAccessKey()
        let secondary = Self.newAccessKey()
        let record = ResourceRecord(
            id: id, name: name, geography: geography, state: .active, createdAt: clock.now,
            sealedPrimaryKey: try masterKey.wrap(primary, purpose: .primaryAccessKey, resourceID: id),
            sealedSecondaryKey: try masterKey.wrap(secondary, purpose: .secondaryAccessKey, resourceID: id),
            sealedDataKey: try masterKey.wrap(SymmetricKey(size: .bits256), purpose: .dataKey, resourceID: id),
            sealedTokenKey: try masterKey.wrap(SymmetricKey(size: .bits256), purpose: .tokenSigningKey, resourceID: id))
        let now = clock.now
        try await store.transaction { db in
            try await PolicyStore.save(PolicySettings(mode: policyMode), resourceID: id.uuidString.lowercased(), now: now, in: db)
        }
        try await directory.insert(record)
        return Details(record: record, primaryKey: Self.text(primary), secondaryKey: Self.text(secondary))
    }

    public func list() async throws -> [ResourceRecord] {
        try await directory.records()
    }

    public func details(of name: String) async throws -> Details {
        let record = try await activeRecord(named: name)
        return try details(of: record)
    }

    /// Replaces one access key; the old one stops working with the next request.
    @discardableResult
    public func regenerateKey(of name: String, slot: AccessKeySlot) async throws -> Details {
        let record = try await activeRecord(named: name)
        let key = Self.newAccessKey()
        try await directory.replaceAccessKey(
            of: record.id, slot: slot, with: try masterKey.wrap(key, purpose: slot.purpose, resourceID: record.id))
        return try await details(of: name)
    }

    /// Deletes a resource: it stops answering at once, its rows are deleted from its store, and its keys, the data
    /// key among them, are destroyed. An interrupted deletion is finished by ``finishPendingDeletions()``.
    public func delete(name: String) async throws {
        guard let record = try await directory.record(named: name) else { throw ResourceAdministrationError.notFound(name) }
        if record.state == .active {
            try await directory.setState(of: record.id, to: .deleting)
        }
        try await purge(record)
    }

    /// Completes deletions a crash or a stop interrupted.
    public func finishPendingDeletions() async throws {
        for record in try await directory.records() where record.state == .deleting {
            try await purge(record)
        }
    }

    private func purge(_ record: ResourceRecord) async throws {
        let store = try await stores.store(for: record.geography)
        let id = record.id.uuidString.lowercased()
        try await store.transaction { db in
            for table in StoreSchema.resourceTables {
                try await db.delete(from: table).where("resource_id", .equal, id).run()
            }
        }
        try await store.reclaimDeletedRows(in: StoreSchema.resourceTables, .now)
        try await directory.remove(id: record.id)
    }

    /// Deletes rows of recently deleted resources (``Directory/recentlyDeleted()``) from `store`: written by a
    /// request that was still running on some node while its resource was being deleted. Returns how many
    /// resources had such rows. Nothing is done when no resource was deleted in the last hour, and otherwise each
    /// table is reached through its resource-id index (the outbox attempts, trimmed daily, aside), never by
    /// scanning the store for ids the directory does not know.
    @discardableResult
    public func purgeOrphans(in store: any Database) async throws -> Int {
        let deleted = try await directory.recentlyDeleted()
        guard !deleted.isEmpty else { return 0 }
        let orphans = try await store.transaction { db in
            var orphans = Set<String>()
            for table in StoreSchema.resourceTables {
                let removed = try await db.delete(from: table).where("resource_id", .in, deleted)
                    .returning("resource_id").all(decodingColumn: "resource_id", as: String.self)
                orphans.formUnion(removed)
            }
            return orphans
        }
        if !orphans.isEmpty { try await store.reclaimDeletedRows(in: StoreSchema.resourceTables, .now) }
        return orphans.count
    }

    private func activeRecord(named name: String) async throws -> ResourceRecord {
        guard let record = try await directory.record(named: name) else { throw ResourceAdministrationError.notFound(name) }
        guard record.state == .active else { throw ResourceAdministrationError.deletionInProgress(name) }
        return record
    }

    private func details(of record: ResourceRecord) throws -> Details {
        Details(
            record: record,
            primaryKey: Self.text(
                try masterKey.unwrap(record.sealedPrimaryKey, purpose: .primaryAccessKey, resourceID: record.id)),
            secondaryKey: Self.text(
                try masterKey.unwrap(record.sealedSecondaryKey, purpose: .secondaryAccessKey, resourceID: record.id)))
    }

    /// Access keys are 64 random bytes, written as base64 like ACS keys.
    static func newAccessKey() -> SymmetricKey { SymmetricKey(size: SymmetricKeySize(bitCount: 512)) }

    static func text(_ key: SymmetricKey) -> String {
        key.withUnsafeBytes { Data($0).base64EncodedString() }
    }
}
