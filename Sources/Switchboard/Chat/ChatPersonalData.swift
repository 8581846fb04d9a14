import Foundation
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

    func erase(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> ErasedItems {
        guard case .communicationUser(let user) = subject else { return [:] }
        let messages = try await ChatStore.eraseMessages(of: user, tx.db, resource: tx.resource, at: tx.now)
        let scrubbed = try await ChatStore.scrubParticipantFromSystemMessages(tx.db, resource: tx.resource, participant: user)
        let removed = try await ChatStore.removeParticipantEverywhere(tx.db, resource: tx.resource, participant: user)
        // A thread they created stays with its other participants; its creator becomes an identity that never
        // existed, so their id is gone from it.
        let pseudonym = UserID(resourceID: tx.resource.id, userID: UUID()).rawID
        let threads = try await tx.db.update("chat_threads").set("created_by", to: pseudonym).where("resource_id", .equal, tx.resource.storageID)
            .where("created_by", .equal, user).runCounting()
        return [
            "messages": messages, "systemMessagesScrubbed": scrubbed, "memberships": removed.memberships, "readReceipts": removed.readReceipts,
            "threadsCreatedPseudonymised": threads,
        ]
    }
}
