import SQLKit

/// Chat's part in deleting an identity (the residency document: "Deleting an identity revokes all associated
/// access tokens and deletes their chat messages"): every message it sent, in every thread, is erased; it leaves
/// every thread, and the names it was given there are removed from the thread's system messages; the events it
/// caused are removed. Runs in the transaction that deletes the identity.
public struct ChatIdentityDeletion: IdentityDeletionHook {
    public init() {}

    public func deleteData(of user: UserID, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await ChatStore.eraseMessages(of: user.rawID, db, resource: resource, at: .now)
        try await ChatStore.scrubParticipantFromSystemMessages(db, resource: resource, participant: user.rawID)
        try await ChatStore.removeParticipantEverywhere(db, resource: resource, participant: user.rawID)
        try await EventLog.removeEvents(ofActor: user.rawID, resource: resource, in: db)
    }
}
