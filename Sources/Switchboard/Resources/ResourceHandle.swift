import Crypto
import Foundation

/// A resource ready to serve requests: its keys unsealed, its store open.
public struct ResourceHandle: Sendable {
    public let id: UUID
    public let name: String
    public let geography: Geography
    /// The primary and secondary access keys; either signs requests.
    public let accessKeys: [SymmetricKey]
    public let tokens: AccessTokenService
    /// Encryption and blind indexes for the resource's personal data.
    public let crypto: ResourceCrypto
    /// The store of the resource's geography: the only place its data is written.
    public let store: any Database

    /// The resource id as stored in every row of its data: kept, not formatted again for each of the many binds
    /// that name it.
    public let storageID: String

    init(
        id: UUID, name: String, geography: Geography, accessKeys: [SymmetricKey], tokens: AccessTokenService, crypto: ResourceCrypto,
        store: any Database
    ) {
        self.id = id
        self.name = name
        self.geography = geography
        self.accessKeys = accessKeys
        self.tokens = tokens
        self.crypto = crypto
        self.store = store
        self.storageID = id.uuidString.lowercased()
    }
}
