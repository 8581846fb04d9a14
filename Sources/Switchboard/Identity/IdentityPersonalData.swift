import Foundation

/// Identity's part in a person's data: the identity itself. Erasing a communication user deletes it, which stops
/// every token issued to it at once; its export is the identity's record and token state.
struct IdentityPersonalData: PersonalDataContributor {
    var category: String { "identities" }
    var erasableTables: [String] { IdentitySchema.tables }

    struct Export: Encodable, Sendable {
        let id: String
        let customId: String?
        let createdOn: String
        let lastTokenIssuedAt: String?
        /// How many times every token of the identity was revoked.
        let tokenRevocations: Int64
    }

    func export(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> AnyEncodable? {
        guard case .communicationUser(let raw) = subject, let user = UserID(rawID: raw), user.resourceID == tx.resource.id,
            let row = try await IdentityStore.find(tx.db, resource: tx.resource, user: user)
        else { return nil }
        return AnyEncodable(
            Export(
                id: raw, customId: try tx.resource.crypto.openIfPresent(row.sealedCustomID, field: IdentityStore.customIDField),
                createdOn: APIDate.format(row.createdAt.date), lastTokenIssuedAt: row.lastTokenIssuedAt.map { APIDate.format($0.date) },
                tokenRevocations: row.tokenRevision))
    }

    func erase(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> ErasedItems {
        guard case .communicationUser = subject else { return [:] }
        guard case .communicationUser(let raw) = subject, let user = UserID(rawID: raw), user.resourceID == tx.resource.id else {
            return ["identities": 0]
        }
        return ["identities": try await IdentityStore.delete(tx.db, resource: tx.resource, user: user) ? 1 : 0]
    }
}
