import Foundation

/// The encryption of any resource, found by id: for data migrations that re-seal or re-index personal fields of
/// rows written by every resource in a store.
public struct ResourceKeyring: Sendable {
    let directory: Directory
    let masterKey: MasterKey

    public init(directory: Directory, masterKey: MasterKey) {
        self.directory = directory
        self.masterKey = masterKey
    }

    /// The encryption of the resource stored as `id`; `nil` when no such resource exists any more.
    public func crypto(forResource id: String) async throws -> ResourceCrypto? {
        guard let uuid = UUID(uuidString: id), let record = try await directory.record(id: uuid) else { return nil }
        let dataKey = try masterKey.unwrap(record.sealedDataKey, purpose: .dataKey, resourceID: record.id)
        return ResourceCrypto(dataKey: dataKey, resourceID: record.id)
    }
}
