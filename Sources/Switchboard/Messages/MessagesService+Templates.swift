import Foundation

/// A channel's templates. The sandbox's are registered here; a Cloud API channel's are Meta's, synced from the Graph
/// API into a snapshot: `list_templates` syncs on its first page (and pages through that snapshot), and a template send
/// is checked against the snapshot, synced again first when it is older than ``templateSnapshotMaxAge``.
extension MessagesService {
    static let templateStatuses: Set<String> = ["approved", "rejected", "pending", "paused"]
    /// A template send checks Meta's templates as synced at most this long ago.
    static let templateSnapshotMaxAge: Duration = .seconds(60)

    /// Registers a template on a sandbox channel (the sandbox's stand-in for Meta's template approval).
    func putTemplate(_ template: TemplateModel, channel idText: String, in resource: ResourceHandle) async throws -> (TemplateModel, Bool) {
        try Self.checkGeography(resource)
        guard !template.name.isEmpty, template.name.count <= 512, SendBody.printable(template.name) else {
            throw MessagesError.invalid("A template needs its name.", target: "name")
        }
        guard !template.language.isEmpty, template.language.count <= 16, SendBody.printable(template.language) else {
            throw MessagesError.invalid("The language query parameter is required, e.g. en_US.", target: "language")
        }
        guard Self.templateStatuses.contains(template.status) else {
            throw MessagesError.invalid("status is one of \(Self.templateStatuses.sorted().joined(separator: ", ")).", target: "status")
        }
        let channel = try await self.channel(idText, in: resource)
        guard channel.kind == .sandbox else { throw MessagesError.templatesManagedByMeta }
        return try await changes.run(in: resource) { tx in
            let existed =
                try await MessagesStore.template(
                    template.name, language: template.language, channel: channel.id, resource: resource, in: tx.db) != nil
            try await MessagesStore.putTemplate(template, channel: channel.id, now: tx.now, resource: resource, in: tx.db)
            return (template, !existed)
        }
    }

    func deleteTemplate(_ name: String, language: String, channel idText: String, in resource: ResourceHandle) async throws {
        let channel = try await self.channel(idText, in: resource)
        guard channel.kind == .sandbox else { throw MessagesError.templatesManagedByMeta }
        let deleted = try await changes.run(in: resource) { tx in
            try await MessagesStore.deleteTemplate(name, language: language, channel: channel.id, resource: resource, in: tx.db)
        }
        guard deleted else { throw MessagesError.templateNotFound(name: name, language: language) }
    }

    /// A page of the channel's templates after `cursor`. A Cloud API channel's are Meta's: the first page (no cursor)
    /// syncs them from the Graph API, and the following pages read that snapshot, so a listing is one consistent view.
    func templates(channel idText: String, after cursor: MessagesStore.TemplateCursor?, limit: Int, in resource: ResourceHandle) async throws
        -> [TemplateModel]
    {
        let channel = try await self.channel(idText, in: resource)
        let synced = channel.kind == .cloudAPI
        if synced {
            guard channel.businessAccountID != nil else { throw MessagesError.businessAccountMissing(channel.id) }
            if cursor == nil || channel.templatesSyncedAt == nil { try await syncTemplates(channel, in: resource) }
        }
        return try await resource.store.read { db in
            try await MessagesStore.templates(channel: channel.id, synced: synced, after: cursor, limit: limit, resource: resource, in: db)
        }
    }

    /// Fetches the channel's templates from Meta and makes them its snapshot.
    func syncTemplates(_ channel: WhatsAppChannel, in resource: ResourceHandle) async throws {
        let fetched: [TemplateModel]
        do {
            fetched = try await cloud.templates(of: channel)
        } catch {
            throw error.messagesError
        }
        // Meta lists a name and language once; should it not, the first stands.
        var seen = Set<String>()
        let unique = fetched.filter { seen.insert("\($0.name)\u{0}\($0.language)").inserted }
        try await changes.run(in: resource) { tx in
            // The channel may have been deleted or re-registered while Meta answered.
            guard let current = try await MessagesStore.channel(channel.id, resource: resource, in: tx.db), current.kind == .cloudAPI,
                current.businessAccountID == channel.businessAccountID
            else { return }
            try await MessagesStore.replaceSyncedTemplates(unique, channel: channel.id, now: tx.now, resource: resource, in: tx.db)
        }
    }

    /// Before a template goes to a Cloud API channel with a business account: syncs Meta's templates when the
    /// snapshot is missing or older than ``templateSnapshotMaxAge``. A failed sync is no refusal — the send is then
    /// checked against the older snapshot, or (with none) left to Meta, which refuses an unknown template itself.
    func refreshTemplatesBeforeSending(_ content: MessageContent, channel idText: String, in resource: ResourceHandle) async {
        guard content.template != nil, let id = try? Self.channelID(idText),
            let channel = try? await resource.store.read({ db in try await MessagesStore.channel(id, resource: resource, in: db) }),
            channel.kind == .cloudAPI, channel.businessAccountID != nil
        else { return }
        if let synced = channel.templatesSyncedAt, synced >= clock.now.subtracting(Self.templateSnapshotMaxAge) { return }
        try? await syncTemplates(channel, in: resource)
    }

    /// Whether `template` may be sent on `channel`, in the send's transaction: a sandbox channel's must be registered and
    /// approved; a Cloud API channel's must be approved at Meta as last synced (when a sync ever succeeded).
    func checkTemplate(_ template: MessageContent.Template, channel: WhatsAppChannel, in tx: Transaction) async throws {
        let synced: Bool
        switch channel.kind {
        case .sandbox: synced = false
        case .cloudAPI:
            guard channel.businessAccountID != nil, channel.templatesSyncedAt != nil else { return }
            synced = true
        }
        guard
            let status = try await MessagesStore.template(
                template.name, language: template.language, channel: channel.id, synced: synced, resource: tx.resource, in: tx.db)
        else { throw MessagesError.templateNotFound(name: template.name, language: template.language) }
        guard status == "approved" else {
            throw MessagesError.templateNotApproved(name: template.name, language: template.language, status: status)
        }
    }
}
