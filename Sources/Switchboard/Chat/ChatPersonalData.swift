import SQLKit

/// Chat's part in a person's data. Erasing a communication user is the residency document's "deleting an identity
/// revokes all associated access tokens and deletes their chat messages": every message it sent, in every thread,
/// is erased; it leaves every thread, and the names it was given there are removed from the threads' system
/// messages. Its export lists the threads it took part in, the messages it sent and its read receipts.
struct ChatPersonalData: PersonalDataContributor {
    var category: String { "chat" }
    var erasableTables: [String] { ChatSchema.erasableTables }

    func export(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> AnyEncodable? {
        guard case .communicationUser(let user) = subject else { return nil }
        let export = try await ChatStore.export(of: user, tx.db, resource: tx.resource)
        return export.isEmpty ? nil : AnyEncodable(export)
    }

    func erase(_ subject: SubjectIdentifier, in tx: Transaction) async throws {
        guard case .communicationUser(let user) = subject else { return }
        try await ChatStore.eraseMessages(of: user, tx.db, resource: tx.resource, at: tx.now)
        try await ChatStore.scrubParticipantFromSystemMessages(tx.db, resource: tx.resource, participant: user)
        try await ChatStore.removeParticipantEverywhere(tx.db, resource: tx.resource, participant: user)
    }
}
