import Foundation
import SQLKit

/// The queries of the email tables. Recipients' addresses are sealed and found by their blind index; the content
/// of a send is sealed in `email_contents` while it is being delivered.
enum EmailStore {
    static let addressField = PersonalField(rawValue: "email_recipients.address")
    static let contentField = PersonalField(rawValue: "email_contents.content")
    static let dkimKeyField = PersonalField(rawValue: "email_dkim_keys.private_key")
    static let suppressionField = PersonalField(rawValue: "email_suppressions.address")
    static let sandboxRecipientField = PersonalField(rawValue: "email_sandbox_messages.recipient")
    static let sandboxRawField = PersonalField(rawValue: "email_sandbox_messages.raw")

    // MARK: Domains

    struct Domain: Sendable {
        enum Kind: String, Sendable, Codable { case sandbox, custom }

        let domain: String
        let kind: Kind
        let ownershipToken: String
        var verification: EmailDomainVerification?
        var verified: Bool
        var verifiedAt: Timestamp?
        let createdAt: Timestamp
        var updatedAt: Timestamp
    }

    struct DKIMKey: Sendable {
        let selector: String
        let privateKey: Data
        let publicRecord: String
        let createdAt: Timestamp
    }

    static func insert(_ domain: Domain, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.insert(into: "email_domains")
            .columns("resource_id", "domain", "kind", "ownership_token", "verification", "verified", "verified_at", "created_at", "updated_at")
            .values(
                SQLBind(resource.storageID), SQLBind(domain.domain), SQLBind(domain.kind.rawValue), SQLBind(domain.ownershipToken),
                SQLBind(try domain.verification.map { String(decoding: try JSONBody.encoder.encode($0), as: UTF8.self) }),
                SQLBind(domain.verified ? 1 : 0), SQLBind(domain.verifiedAt?.milliseconds), SQLBind(domain.createdAt.milliseconds),
                SQLBind(domain.updatedAt.milliseconds)
            ).run()
    }

    static func update(_ domain: Domain, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.update("email_domains")
            .set("verification", to: try domain.verification.map { String(decoding: try JSONBody.encoder.encode($0), as: UTF8.self) })
            .set("verified", to: domain.verified ? 1 : 0).set("verified_at", to: domain.verifiedAt?.milliseconds)
            .set("updated_at", to: domain.updatedAt.milliseconds)
            .where("resource_id", .equal, resource.storageID).where("domain", .equal, domain.domain).run()
    }

    static func domain(_ name: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Domain? {
        try await db.select().column("*").from("email_domains").where("resource_id", .equal, resource.storageID)
            .where("domain", .equal, name).first().map(decodeDomain)
    }

    static func domains(after: String?, limit: Int, resource: ResourceHandle, in db: any SQLDatabase) async throws -> [Domain] {
        var query = db.select().column("*").from("email_domains").where("resource_id", .equal, resource.storageID)
        if let after { query = query.where("domain", .greaterThan, after) }
        return try await query.orderBy("domain").limit(limit).all().map(decodeDomain)
    }

    static func decodeDomain(_ row: any SQLRow) throws -> Domain {
        let verification = try row.decode(column: "verification", as: String?.self).flatMap {
            try? JSONBody.decoder.decode(EmailDomainVerification.self, from: Data($0.utf8))
        }
        return Domain(
            domain: try row.decode(column: "domain", as: String.self),
            kind: Domain.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .custom,
            ownershipToken: try row.decode(column: "ownership_token", as: String.self), verification: verification,
            verified: try row.decode(column: "verified", as: Int.self) != 0,
            verifiedAt: try row.decode(column: "verified_at", as: Int64?.self).map(Timestamp.init(milliseconds:)),
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
            updatedAt: Timestamp(milliseconds: try row.decode(column: "updated_at", as: Int64.self)))
    }

    /// Deletes a domain with its keys, senders and suppression list.
    static func deleteDomain(_ name: String, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        for table in ["email_domains", "email_dkim_keys", "email_senders", "email_suppressions"] {
            try await db.delete(from: table).where("resource_id", .equal, resource.storageID).where("domain", .equal, name).run()
        }
    }

    static func insert(_ key: DKIMKey, domain: String, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.insert(into: "email_dkim_keys").columns("resource_id", "domain", "selector", "private_key", "public_record", "created_at")
            .values(
                SQLBind(resource.storageID), SQLBind(domain), SQLBind(key.selector),
                SQLBind(try resource.crypto.seal(data: key.privateKey, field: dkimKeyField)), SQLBind(key.publicRecord),
                SQLBind(key.createdAt.milliseconds)
            ).run()
    }

    /// A domain's DKIM keys, oldest first.
    static func dkimKeys(domain: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> [DKIMKey] {
        try await db.select().column("*").from("email_dkim_keys").where("resource_id", .equal, resource.storageID)
            .where("domain", .equal, domain).orderBy("created_at").orderBy("selector").all().map { row in
                DKIMKey(
                    selector: try row.decode(column: "selector", as: String.self),
                    privateKey: try resource.crypto.open(data: try row.decode(column: "private_key", as: Data.self), field: dkimKeyField),
                    publicRecord: try row.decode(column: "public_record", as: String.self),
                    createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)))
            }
    }

    // MARK: Senders

    struct Sender: Sendable {
        let domain: String
        let username: String
        var displayName: String
        let createdAt: Timestamp
        var updatedAt: Timestamp
    }

    static func upsert(_ sender: Sender, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.delete(from: "email_senders").where("resource_id", .equal, resource.storageID).where("domain", .equal, sender.domain)
            .where("username", .equal, sender.username).run()
        try await db.insert(into: "email_senders").columns("resource_id", "domain", "username", "display_name", "created_at", "updated_at")
            .values(
                SQLBind(resource.storageID), SQLBind(sender.domain), SQLBind(sender.username), SQLBind(sender.displayName),
                SQLBind(sender.createdAt.milliseconds), SQLBind(sender.updatedAt.milliseconds)
            ).run()
    }

    static func sender(_ username: String, domain: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Sender? {
        try await db.select().column("*").from("email_senders").where("resource_id", .equal, resource.storageID)
            .where("domain", .equal, domain).where("username", .equal, username.lowercased()).first().map(decodeSender)
    }

    /// What sending from `username@domain` needs to know, in one statement: the domain's kind and whether it
    /// verified, and the username registered on it (`nil` when none is). `nil` when the resource has no such domain.
    /// Written out, and without the domain's verification record: every send and its policy check read it.
    struct SendingIdentity: Sendable {
        let kind: Domain.Kind
        let verified: Bool
        let sender: Sender?

        /// Whether the domain may send: the sandbox domain, or a custom domain whose records verified.
        var maySend: Bool { kind == .sandbox || verified }
    }

    static func sendingIdentity(domain: String, username: String, resource: ResourceHandle, in db: any SQLDatabase) async throws
        -> SendingIdentity?
    {
        try await db.raw(
            """
            SELECT d.kind, d.verified, s.username, s.display_name, s.created_at, s.updated_at FROM email_domains d \
            LEFT JOIN email_senders s ON s.resource_id = d.resource_id AND s.domain = d.domain AND s.username = \(bind: username.lowercased()) \
            WHERE d.resource_id = \(bind: resource.storageID) AND d.domain = \(bind: domain)
            """
        ).first().map { row in
            let sender = try row.decode(column: "username", as: String?.self).map { username in
                Sender(
                    domain: domain, username: username, displayName: try row.decode(column: "display_name", as: String.self),
                    createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
                    updatedAt: Timestamp(milliseconds: try row.decode(column: "updated_at", as: Int64.self)))
            }
            return SendingIdentity(
                kind: Domain.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .custom,
                verified: try row.decode(column: "verified", as: Int.self) != 0, sender: sender)
        }
    }

    static func senders(domain: String, after: String?, limit: Int, resource: ResourceHandle, in db: any SQLDatabase) async throws -> [Sender] {
        var query = db.select().column("*").from("email_senders").where("resource_id", .equal, resource.storageID).where("domain", .equal, domain)
        if let after { query = query.where("username", .greaterThan, after) }
        return try await query.orderBy("username").limit(limit).all().map(decodeSender)
    }

    static func decodeSender(_ row: any SQLRow) throws -> Sender {
        Sender(
            domain: try row.decode(column: "domain", as: String.self), username: try row.decode(column: "username", as: String.self),
            displayName: try row.decode(column: "display_name", as: String.self),
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
            updatedAt: Timestamp(milliseconds: try row.decode(column: "updated_at", as: Int64.self)))
    }

    static func deleteSender(_ username: String, domain: String, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.delete(from: "email_senders").where("resource_id", .equal, resource.storageID).where("domain", .equal, domain)
            .where("username", .equal, username.lowercased()).run()
    }

    // MARK: Operations and recipients

    struct Operation: Sendable {
        enum Status: String, Sendable, Codable {
            case notStarted = "NotStarted", running = "Running", succeeded = "Succeeded", failed = "Failed", canceled = "Canceled"
            var isFinal: Bool { self == .succeeded || self == .failed || self == .canceled }
        }

        let id: String
        var status: Status
        var errorCode: String?
        var errorMessage: String?
        let sender: String
        let recipients: Int
        let requestHash: Data
        let programID: String
        let createdAt: Timestamp
        var updatedAt: Timestamp
        var finishedAt: Timestamp?
    }

    static func insert(_ operation: Operation, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.insert(into: "email_operations")
            .columns(
                "resource_id", "id", "status", "error_code", "error_message", "sender", "recipients", "request_hash", "program_id", "created_at",
                "updated_at", "finished_at"
            )
            .values(
                SQLBind(resource.storageID), SQLBind(operation.id), SQLBind(operation.status.rawValue), SQLBind(operation.errorCode),
                SQLBind(operation.errorMessage), SQLBind(operation.sender), SQLBind(operation.recipients), SQLBind(operation.requestHash),
                SQLBind(operation.programID),
                SQLBind(operation.createdAt.milliseconds), SQLBind(operation.updatedAt.milliseconds), SQLBind(operation.finishedAt?.milliseconds)
            ).run()
    }

    static func operation(_ id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Operation? {
        try await db.select().column("*").from("email_operations").where("resource_id", .equal, resource.storageID)
            .where("id", .equal, id).first().map(decodeOperation)
    }

    /// The operations of `ids` that exist, by id, in one statement.
    static func operations(_ ids: [String], resource: ResourceHandle, in db: any SQLDatabase) async throws -> [String: Operation] {
        guard !ids.isEmpty else { return [:] }
        let operations = try await db.select().column("*").from("email_operations").where("resource_id", .equal, resource.storageID)
            .where("id", .in, ids).all().map(decodeOperation)
        return Dictionary(operations.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    static func decodeOperation(_ row: any SQLRow) throws -> Operation {
        Operation(
            id: try row.decode(column: "id", as: String.self),
            status: Operation.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .running,
            errorCode: try row.decode(column: "error_code", as: String?.self),
            errorMessage: try row.decode(column: "error_message", as: String?.self),
            sender: try row.decode(column: "sender", as: String.self), recipients: try row.decode(column: "recipients", as: Int.self),
            requestHash: try row.decode(column: "request_hash", as: Data.self), programID: try row.decode(column: "program_id", as: String.self),
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
            updatedAt: Timestamp(milliseconds: try row.decode(column: "updated_at", as: Int64.self)),
            finishedAt: try row.decode(column: "finished_at", as: Int64?.self).map(Timestamp.init(milliseconds:)))
    }

    /// Sets the status of operations, in one statement.
    static func setStatus(
        _ status: Operation.Status, error: (code: String, message: String)? = nil, operations ids: [String], now: Timestamp,
        resource: ResourceHandle, in db: any SQLDatabase
    ) async throws {
        guard !ids.isEmpty else { return }
        try await db.update("email_operations").set("status", to: status.rawValue).set("error_code", to: error?.code)
            .set("error_message", to: error?.message).set("updated_at", to: now.milliseconds)
            .set("finished_at", to: status.isFinal ? now.milliseconds : nil)
            .where("resource_id", .equal, resource.storageID).where("id", .in, ids).run()
    }

    struct Recipient: Sendable {
        enum Kind: String, Sendable, Codable { case to, cc, bcc }

        /// `queued` until its first attempt; `deferred` while a 4xx is retried; the rest are final.
        enum Status: String, Sendable, Codable {
            case queued = "Queued", deferred = "Deferred", delivered = "Delivered", bounced = "Bounced", suppressed = "Suppressed"
            case failed = "Failed", quarantined = "Quarantined", filteredSpam = "FilteredSpam"
            var isFinal: Bool { self != .queued && self != .deferred }
        }

        let operationID: String
        let seq: Int
        let kind: Kind
        let address: String
        var status: Status
        var statusDetails: String?
        var internetMessageID: String?
        var mailServer: String?
        var attempts: Int
        let bounceToken: String
        let createdAt: Timestamp
        var updatedAt: Timestamp
        var finishedAt: Timestamp?
    }

    static func insert(_ recipients: [Recipient], resource: ResourceHandle, in db: any SQLDatabase) async throws {
        guard !recipients.isEmpty else { return }
        var insert = db.insert(into: "email_recipients").columns(
            "resource_id", "operation_id", "seq", "kind", "address_index", "address", "status", "status_details", "internet_message_id",
            "mail_server", "attempts", "bounce_token", "created_at", "updated_at", "finished_at")
        for recipient in recipients {
            insert = insert.values(
                SQLBind(resource.storageID), SQLBind(recipient.operationID), SQLBind(recipient.seq), SQLBind(recipient.kind.rawValue),
                SQLBind(resource.crypto.blindIndex(recipient.address, kind: .emailAddress)),
                SQLBind(try resource.crypto.seal(recipient.address, field: addressField)), SQLBind(recipient.status.rawValue),
                SQLBind(recipient.statusDetails), SQLBind(recipient.internetMessageID), SQLBind(recipient.mailServer), SQLBind(recipient.attempts),
                SQLBind(recipient.bounceToken),
                SQLBind(recipient.createdAt.milliseconds), SQLBind(recipient.updatedAt.milliseconds), SQLBind(recipient.finishedAt?.milliseconds))
        }
        try await insert.run()
    }

    static func recipients(operation id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> [Recipient] {
        try await db.select().column("*").from("email_recipients").where("resource_id", .equal, resource.storageID)
            .where("operation_id", .equal, id).orderBy("seq").all().map { try decodeRecipient($0, resource: resource) }
    }

    /// The recipients of each of `operations`, in `seq` order, in one statement.
    static func recipients(operations ids: [String], resource: ResourceHandle, in db: any SQLDatabase) async throws -> [String: [Recipient]] {
        guard !ids.isEmpty else { return [:] }
        let recipients = try await db.select().column("*").from("email_recipients").where("resource_id", .equal, resource.storageID)
            .where("operation_id", .in, ids).orderBy("operation_id").orderBy("seq").all().map { try decodeRecipient($0, resource: resource) }
        return Dictionary(grouping: recipients, by: \.operationID)
    }

    static func recipients(addressIndex: Data, resource: ResourceHandle, in db: any SQLDatabase) async throws -> [Recipient] {
        try await db.select().column("*").from("email_recipients").where("resource_id", .equal, resource.storageID)
            .where("address_index", .equal, addressIndex).orderBy("created_at").all().map { try decodeRecipient($0, resource: resource) }
    }

    /// The recipient whose copy went out with this bounce token (``EmailBounceAddress``).
    static func recipient(bounceToken: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Recipient? {
        try await db.select().column("*").from("email_recipients").where("resource_id", .equal, resource.storageID)
            .where("bounce_token", .equal, bounceToken).first().map { try decodeRecipient($0, resource: resource) }
    }

    static func decodeRecipient(_ row: any SQLRow, resource: ResourceHandle) throws -> Recipient {
        Recipient(
            operationID: try row.decode(column: "operation_id", as: String.self), seq: try row.decode(column: "seq", as: Int.self),
            kind: Recipient.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .to,
            address: try resource.crypto.open(try row.decode(column: "address", as: Data.self), field: addressField),
            status: Recipient.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .queued,
            statusDetails: try row.decode(column: "status_details", as: String?.self),
            internetMessageID: try row.decode(column: "internet_message_id", as: String?.self),
            mailServer: try row.decode(column: "mail_server", as: String?.self), attempts: try row.decode(column: "attempts", as: Int.self),
            bounceToken: try row.decode(column: "bounce_token", as: String.self),
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
            updatedAt: Timestamp(milliseconds: try row.decode(column: "updated_at", as: Int64.self)),
            finishedAt: try row.decode(column: "finished_at", as: Int64?.self).map(Timestamp.init(milliseconds:)))
    }

    static func update(_ recipient: Recipient, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.update("email_recipients").set("status", to: recipient.status.rawValue).set("status_details", to: recipient.statusDetails)
            .set("internet_message_id", to: recipient.internetMessageID).set("mail_server", to: recipient.mailServer)
            .set("attempts", to: recipient.attempts).set("updated_at", to: recipient.updatedAt.milliseconds)
            .set("finished_at", to: recipient.finishedAt?.milliseconds)
            .where("resource_id", .equal, resource.storageID).where("operation_id", .equal, recipient.operationID)
            .where("seq", .equal, recipient.seq).run()
    }

    /// ``update(_:resource:in:)`` for many recipients in one statement per 500: the new values paired with each
    /// recipient's key (`WITH … AS (VALUES …) UPDATE … FROM`, which both engines speak). An update, never an insert: a
    /// recipient erased meanwhile stays erased.
    static func update(_ recipients: [Recipient], resource: ResourceHandle, in db: any SQLDatabase) async throws {
        for start in stride(from: 0, to: recipients.count, by: 500) {
            var rows = SQLQueryString("")
            for (offset, recipient) in recipients[start..<min(start + 500, recipients.count)].enumerated() {
                if offset > 0 { rows.appendLiteral(", ") }
                rows.appendLiteral("(")
                rows.appendInterpolation(bind: recipient.operationID)
                rows.appendLiteral(", ")
                rows.appendInterpolation(bind: Int64(recipient.seq))
                rows.appendLiteral(", ")
                rows.appendInterpolation(bind: recipient.status.rawValue)
                rows.appendLiteral(", ")
                rows.appendInterpolation(bind: recipient.statusDetails)
                rows.appendLiteral(", ")
                rows.appendInterpolation(bind: recipient.internetMessageID)
                rows.appendLiteral(", ")
                rows.appendInterpolation(bind: recipient.mailServer)
                rows.appendLiteral(", ")
                rows.appendInterpolation(bind: Int64(recipient.attempts))
                rows.appendLiteral(", ")
                rows.appendInterpolation(bind: recipient.updatedAt.milliseconds)
                rows.appendLiteral(", ")
                rows.appendInterpolation(bind: recipient.finishedAt?.milliseconds)
                rows.appendLiteral(")")
            }
            // Casts: a column of NULLs alone would be text on PostgreSQL.
            try await db.raw(
                """
                WITH changed (operation_id, seq, status, status_details, internet_message_id, mail_server, attempts, updated_at, finished_at)
                AS (VALUES \(rows))
                UPDATE email_recipients SET status = changed.status,
                    status_details = CAST(changed.status_details AS TEXT), internet_message_id = CAST(changed.internet_message_id AS TEXT),
                    mail_server = CAST(changed.mail_server AS TEXT), attempts = changed.attempts, updated_at = changed.updated_at,
                    finished_at = CAST(changed.finished_at AS BIGINT)
                FROM changed
                WHERE email_recipients.resource_id = \(bind: resource.storageID) AND email_recipients.operation_id = changed.operation_id
                    AND email_recipients.seq = changed.seq
                """
            ).run()
        }
    }

    // MARK: Content

    static func insertContent(_ content: EmailContent, operation id: String, now: Timestamp, resource: ResourceHandle, in db: any SQLDatabase)
        async throws
    {
        let data = try JSONBody.encoder.encode(content)
        try await db.insert(into: "email_contents").columns("resource_id", "operation_id", "content", "created_at")
            .values(
                SQLBind(resource.storageID), SQLBind(id), SQLBind(try resource.crypto.seal(data: data, field: contentField)),
                SQLBind(now.milliseconds)
            ).run()
    }

    static func content(operation id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> EmailContent? {
        guard
            let sealed = try await db.select().column("content").from("email_contents").where("resource_id", .equal, resource.storageID)
                .where("operation_id", .equal, id).first(decodingColumn: "content", as: Data.self)
        else { return nil }
        return try JSONBody.decoder.decode(EmailContent.self, from: try resource.crypto.open(data: sealed, field: contentField))
    }

    /// The contents of `operations` still kept, by operation, in one statement.
    static func contents(operations ids: [String], resource: ResourceHandle, in db: any SQLDatabase) async throws -> [String: EmailContent] {
        guard !ids.isEmpty else { return [:] }
        var contents: [String: EmailContent] = [:]
        for row in try await db.select().columns("operation_id", "content").from("email_contents").where("resource_id", .equal, resource.storageID)
            .where("operation_id", .in, ids).all()
        {
            let sealed = try row.decode(column: "content", as: Data.self)
            contents[try row.decode(column: "operation_id", as: String.self)] = try JSONBody.decoder.decode(
                EmailContent.self, from: try resource.crypto.open(data: sealed, field: contentField))
        }
        return contents
    }

    /// Erases the content of operations, in one statement.
    static func deleteContent(operations ids: [String], resource: ResourceHandle, in db: any SQLDatabase) async throws {
        guard !ids.isEmpty else { return }
        try await db.delete(from: "email_contents").where("resource_id", .equal, resource.storageID).where("operation_id", .in, ids).run()
    }
}
