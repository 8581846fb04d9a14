import Foundation
import Logging

/// Chat threads, messages, participants, read receipts and typing: the Chat API (`/chat/threads…`), its events
/// (rendered for Event Grid and real-time sessions), its part in a person's data, and the retention policy of
/// threads.
public struct ChatCapability: Capability {
    public static var storeMigrations: [Migration] { ChatSchema.migrations }
    public static var resourceTables: [String] { ChatSchema.tables }
    public static var eventProjections: [any EventProjection] { [ChatEventProjection()] }
    public static var personalData: [any PersonalDataContributor] { [ChatPersonalData()] }

    public let service: ChatService
    let api: ChatAPI
    let userTokens: any Authenticator
    let resources: ResourceRegistry
    let logger: Logger

    public init(platform: Platform) {
        service = ChatService(
            limits: platform.configuration.chat.limits, changes: platform.changes, events: platform.events, clock: platform.clock)
        api = ChatAPI(chat: service)
        userTokens = platform.userTokens
        resources = platform.resources
        logger = platform.logger
    }

    public var routes: [Route] { api.routes(userToken: userTokens) }

    public var retentionRules: [RetentionRule] {
        let (service, resources, logger) = (service, resources, logger)
        return [
            RetentionRule(
                name: "chat.threadRetentionPolicy", data: "Chat threads with a retention policy",
                kept: "30 to 90 days after creation, as the thread's policy says (threads without one: until deleted)",
                tables: ChatSchema.erasableTables
            ) { store, now in
                try await service.deleteExpiredThreads(in: store, now: now, resources: resources, logger: logger)
            }
        ]
    }
}

extension ChatService {
    /// Deletes the threads of `store` whose retention period ended by `now`, as their participants would; returns
    /// how many. A thread of a resource being deleted is left to that deletion.
    func deleteExpiredThreads(in store: any Database, now: Timestamp, resources: ResourceRegistry, logger: Logger) async throws -> Int {
        var deleted = 0
        while true {
            let expired = try await store.read { db in try await ChatStore.expiredThreads(db, now: now, limit: 100) }
            guard !expired.isEmpty else { return deleted }
            var handled = 0
            for (resourceID, thread) in expired {
                guard let id = UUID(uuidString: resourceID), let resource = try await resources.handle(id: id) else { continue }
                try await deleteThread(thread, by: nil, in: resource, transactionID: nil)
                logger.info("deleted a chat thread at the end of its retention period", metadata: ["resource": "\(resource.name)"])
                handled += 1
            }
            deleted += handled
            // A short batch was the last; a batch with nothing this node could delete would only come back again.
            if expired.count < 100 || handled == 0 { return deleted }
        }
    }
}
