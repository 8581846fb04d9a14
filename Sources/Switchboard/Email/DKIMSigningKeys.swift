import Foundation
import Synchronization
import _CryptoExtras

/// DKIM private keys, parsed from their DER once per process: parsing a key and building its RSA blinding cost
/// more than a signature, and every copy of every message is signed.
final class DKIMSigningKeys: Sendable {
    private let keys = Mutex<[Data: _RSA.Signing.PrivateKey]>([:])
    /// Domains' selectors in use at once on one node; past this the cache starts over.
    static let limit = 1024

    func key(_ der: Data) throws -> _RSA.Signing.PrivateKey {
        if let key = keys.withLock({ $0[der] }) { return key }
        let key = try _RSA.Signing.PrivateKey(derRepresentation: der)
        keys.withLock { keys in
            if keys.count >= Self.limit { keys.removeAll() }
            keys[der] = key
        }
        return key
    }
}
