import Foundation
import Mail
import SQLKit

/// A message the sandbox mailbox captured, as a mail catcher shows it: the envelope, the headers, the text and
/// HTML, the attachments and the DKIM result.
public struct SandboxEmailView: Encodable, Sendable {
    struct Attachment: Encodable, Sendable {
        let name: String
        let contentType: String
        let size: Int
        let contentId: String?
    }

    struct Header: Encodable, Sendable {
        let name: String
        let value: String
    }

    struct DKIMResult: Encodable, Sendable {
        let status: String
        let domain: String?
        let selector: String?
        let reason: String?
    }

    let id: String
    let operationId: String
    let envelopeFrom: String
    /// The envelope recipient: the mailbox this copy went to.
    let recipient: String
    /// `Delivered`, or `Bounced` for the sandbox's bounce addresses.
    let outcome: String
    let receivedAt: Date
    let size: Int
    let from: String?
    let to: [String]
    let cc: [String]
    let subject: String?
    let messageId: String?
    let text: String?
    let html: String?
    let attachments: [Attachment]
    let headers: [Header]
    let dkim: DKIMResult
}

extension EmailService {
    static func name(of status: DKIMVerificationResult.Status) -> String {
        switch status {
        case .pass: "pass"
        case .fail: "fail"
        case .permerror: "permerror"
        case .temperror: "temperror"
        case .neutral: "neutral"
        }
    }

    static func reason(of status: DKIMVerificationResult.Status) -> String? {
        switch status {
        case .fail(let reason), .permerror(let reason), .temperror(let reason): reason
        case .pass, .neutral: nil
        }
    }

    struct SandboxRow: Sendable {
        let view: SandboxEmailView
        let at: Int64
    }

    /// Newest first, after the cursor `(createdAt, id)` of the previous page; optionally one recipient's.
    func sandboxMessages(recipient: String?, before: (Int64, String)?, limit: Int, in resource: ResourceHandle) async throws -> [SandboxRow] {
        let rows = try await resource.store.read { db in
            let query = db.select().column("*").from("email_sandbox_messages").where("resource_id", .equal, resource.storageID)
            if let recipient { query.where("recipient_index", .equal, resource.crypto.blindIndex(recipient, kind: .emailAddress)) }
            if let (at, id) = before {
                query.where {
                    $0.where("created_at", .lessThan, at).orWhere { $0.where("created_at", .equal, at).where("id", .lessThan, id) }
                }
            }
            return try await query.orderBy("created_at", .descending).orderBy("id", .descending).limit(limit).all().map {
                try Self.sandboxEntry($0, resource: resource)
            }
        }
        var views: [SandboxRow] = []
        for row in rows { views.append(SandboxRow(view: await sandboxView(row, resource: resource), at: row.at)) }
        return views
    }

    func sandboxMessage(_ id: String, in resource: ResourceHandle) async throws -> SandboxRow {
        let row = try await sandboxRow(id, in: resource)
        return SandboxRow(view: await sandboxView(row, resource: resource), at: row.at)
    }

    func sandboxRaw(_ id: String, in resource: ResourceHandle) async throws -> [UInt8] {
        try await sandboxRow(id, in: resource).raw
    }

    struct SandboxEntry: Sendable {
        let id: String
        let operationID: String
        let sender: String
        let recipient: String
        let raw: [UInt8]
        let outcome: String
        let at: Int64
    }

    func sandboxRow(_ id: String, in resource: ResourceHandle) async throws -> SandboxEntry {
        guard
            let row = try await resource.store.read({ db in
                try await db.select().column("*").from("email_sandbox_messages").where("resource_id", .equal, resource.storageID)
                    .where("id", .equal, id).first().map { try Self.sandboxEntry($0, resource: resource) }
            })
        else { throw APIError.notFound(code: "MessageNotFound", "The sandbox mailbox holds no message '\(id)'.", target: "id") }
        return row
    }

    static func sandboxEntry(_ row: any SQLRow, resource: ResourceHandle) throws -> SandboxEntry {
        SandboxEntry(
            id: try row.decode(column: "id", as: String.self), operationID: try row.decode(column: "operation_id", as: String.self),
            sender: try row.decode(column: "sender", as: String.self),
            recipient: try resource.crypto.open(try row.decode(column: "recipient", as: Data.self), field: EmailStore.sandboxRecipientField),
            raw: Array(try resource.crypto.open(data: try row.decode(column: "raw", as: Data.self), field: EmailStore.sandboxRawField)),
            outcome: try row.decode(column: "outcome", as: String.self), at: try row.decode(column: "created_at", as: Int64.self))
    }

    /// Parses a captured message and checks its signature against the keys of the resource's domains (the sandbox
    /// domain is in no DNS).
    func sandboxView(_ entry: SandboxEntry, resource: ResourceHandle) async -> SandboxEmailView {
        let parsed = MailParser.parse(entry.raw)
        let verifier = DKIMVerifier { selector, domain in
            let keys = try await resource.store.read { db in try await EmailStore.dkimKeys(domain: domain.lowercased(), resource: resource, in: db) }
            return keys.filter { $0.selector == selector.lowercased() }.map(\.publicRecord)
        }
        let results = await verifier.verify(entry.raw, now: clock.now.date)
        let dkim: SandboxEmailView.DKIMResult =
            if let result = results.first {
                .init(status: Self.name(of: result.status), domain: result.domain, selector: result.selector, reason: Self.reason(of: result.status))
            } else {
                .init(status: "none", domain: nil, selector: nil, reason: "The message carries no DKIM signature.")
            }
        return SandboxEmailView(
            id: entry.id, operationId: entry.operationID, envelopeFrom: entry.sender, recipient: entry.recipient, outcome: entry.outcome,
            receivedAt: Timestamp(milliseconds: entry.at).date, size: entry.raw.count, from: parsed.from.first?.headerValue(),
            to: parsed.to.map(\.addrSpec), cc: parsed.cc.map(\.addrSpec), subject: parsed.subject, messageId: parsed.messageID,
            text: parsed.plainText, html: parsed.html,
            attachments: parsed.attachments.map {
                .init(name: $0.filename ?? "attachment", contentType: $0.contentType.mimeType, size: $0.decodedBody.count, contentId: $0.contentID)
            },
            headers: parsed.headers.map { .init(name: $0.name, value: $0.decodedValue) }, dkim: dkim)
    }
}

/// The sandbox mailbox for the command line.
extension EmailService {
    public func sandboxMailbox(recipient: String?, limit: Int, in resource: ResourceHandle) async throws -> [SandboxEmailView] {
        try await sandboxMessages(recipient: recipient, before: nil, limit: limit, in: resource).map(\.view)
    }

    public func sandboxMailboxMessage(_ id: String, in resource: ResourceHandle) async throws -> SandboxEmailView {
        try await sandboxMessage(id, in: resource).view
    }

    public func sandboxMailboxRaw(_ id: String, in resource: ResourceHandle) async throws -> [UInt8] {
        try await sandboxRaw(id, in: resource)
    }
}

extension SandboxEmailView {
    /// One line for a terminal: when, to whom, the outcome and the subject.
    public var line: String {
        "\(APIDate.format(receivedAt))  \(id)  \(outcome.padding(toLength: 9, withPad: " ", startingAt: 0))  \(recipient)  \(subject ?? "(no subject)")"
    }
}
