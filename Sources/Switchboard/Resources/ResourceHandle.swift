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

    /// The resource id as stored in every row of its data.
    public var storageID: String { id.uuidString.lowercased() }
}
