import Foundation
import Synchronization

/// Finds the resource a request addresses, with its keys unsealed and its store open.
///
/// Handles are cached, and the cache is checked against the directory's revision on every lookup, so a key
/// regenerated or a resource deleted by another process (the command line, another node) is honoured by the
/// next request.
public final class ResourceRegistry: Sendable {
    private let directory: Directory
    private let stores: StoreRegistry
    private let masterKey: MasterKey
    private let cache = Mutex(Cache())

    private struct Cache {
        var revision: Int64 = -1
        var handles: [String: ResourceHandle] = [:]
    }

    public init(directory: Directory, stores: StoreRegistry, masterKey: MasterKey) {
        self.directory = directory
        self.stores = stores
        self.masterKey = masterKey
    }

    /// The active resource named `name`, or `nil` if there is none.
    public func handle(named name: String) async throws -> ResourceHandle? {
        let revision = try await directory.revision()
        let cached: ResourceHandle? = cache.withLock { cache in
            if cache.revision != revision {
                cache.revision = revision
                cache.handles = [:]
            }
            return cache.handles[name]
        }
        if let cached { return cached }
        guard let record = try await directory.record(named: name), record.state == .active else { return nil }
        let handle = try await makeHandle(record)
        cache.withLock { cache in
            if cache.revision == revision { cache.handles[name] = handle }
        }
        return handle
    }

    /// The active resource with `id`, or `nil`.
    public func handle(id: UUID) async throws -> ResourceHandle? {
        guard let record = try await directory.record(id: id), record.state == .active else { return nil }
        return try await handle(named: record.name)
    }

    func makeHandle(_ record: ResourceRecord) async throws -> ResourceHandle {
        let primary = try masterKey.unwrap(record.sealedPrimaryKey, purpose: .primaryAccessKey, resourceID: record.id)
        let secondary = try masterKey.unwrap(
            record.sealedSecondaryKey, purpose: .secondaryAccessKey, resourceID: record.id)
        let dataKey = try masterKey.unwrap(record.sealedDataKey, purpose: .dataKey, resourceID: record.id)
        let tokenKey = try masterKey.unwrap(record.sealedTokenKey, purpose: .tokenSigningKey, resourceID: record.id)
        return ResourceHandle(
            id: record.id,
            name: record.name,
            geography: record.geography,
            accessKeys: [primary, secondary],
            tokens: await AccessTokenService(resourceID: record.id, geography: record.geography, signingKey: tokenKey),
            crypto: ResourceCrypto(dataKey: dataKey, resourceID: record.id),
            store: try await stores.store(for: record.geography))
    }
}
