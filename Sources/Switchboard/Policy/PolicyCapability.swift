import Foundation
import SQLKit

/// The messaging policy (COMS: consent, opt-out, message content, spoofing): programs, the consent ledger,
/// opt-outs, content rules, the dry run and the summary (`/messaging/…`), the double opt-in confirmation link, the
/// policy's part in a person's data, and its lines of the retention table. The gate itself is the platform's
/// (``Platform/policy``): every channel calls it before it queues anything.
public struct PolicyCapability: Capability {
    public static var storeMigrations: [Migration] { PolicySchema.migrations }
    public static var resourceTables: [String] { PolicySchema.tables }
    public static var personalData: [any PersonalDataContributor] { [PolicyPersonalData()] }

    /// Consent records are kept at least four years after their last change ("Accurate records of consent").
    public static let consentRetention: Duration = .seconds(4 * 366 * 86_400)
    /// Decisions are kept for the summary's longest period.
    public static let decisionRetention: Duration = .seconds(90 * 86_400)

    public let service: PolicyService
    let api: PolicyAPI
    let accessKey: any Authenticator

    public init(platform: Platform) {
        service = platform.policy
        api = PolicyAPI(policy: platform.policy, resources: platform.resources)
        accessKey = platform.accessKey
    }

    public var routes: [Route] { api.routes(accessKey: accessKey) }
    public var systemRoutes: [SystemRoute] { api.systemRoutes }
    public var consolePages: [any ConsolePage] { [PolicyConsolePage(policy: service)] }

    public var retentionRules: [RetentionRule] {
        [
            RetentionRule(
                name: "messaging.consentRecords", data: "Consent records and their evidence (the consent ledger)",
                kept: "4 years after their last change; an erased person's reduced to a minimal proof, not deleted",
                tables: ["messaging_consents", "messaging_consent_history"]
            ) { store, now in
                try await Self.deleteConsents(changedBefore: now.subtracting(Self.consentRetention), in: store)
            },
            RetentionRule(
                name: "messaging.decisions", data: "Policy decisions (masked recipient, code, rule; never content)", kept: "90 days",
                tables: ["messaging_decisions"]
            ) { store, now in
                try await store.transaction { db in
                    try await db.delete(from: "messaging_decisions")
                        .where("decided_at", .lessThan, now.subtracting(Self.decisionRetention).milliseconds).run()
                }
                return 0
            },
            RetentionRule(
                name: "messaging.conversations", data: "When a recipient last wrote to a sender (implied consent)",
                kept: "7 days, the longest conversation window", tables: ["messaging_conversations"]
            ) { store, now in
                try await store.transaction { db in
                    try await db.delete(from: "messaging_conversations")
                        .where("last_inbound_at", .lessThan, now.adding(seconds: -PolicySettings.conversationWindowRange.upperBound).milliseconds)
                        .run()
                }
                return 0
            },
        ]
    }

    /// Deletes consents unchanged since `cutoff`, with their history; returns how many.
    static func deleteConsents(changedBefore cutoff: Timestamp, in store: any Database) async throws -> Int {
        var deleted = 0
        while true {
            let batch = try await store.transaction { db in
                let rows = try await db.select().columns("resource_id", "id").from("messaging_consents")
                    .where("updated_at", .lessThan, cutoff.milliseconds).limit(500).all()
                for row in rows {
                    let resource = try row.decode(column: "resource_id", as: String.self)
                    let id = try row.decode(column: "id", as: String.self)
                    try await db.delete(from: "messaging_consent_history").where("resource_id", .equal, resource).where("consent_id", .equal, id)
                        .run()
                    try await db.delete(from: "messaging_consents").where("resource_id", .equal, resource).where("id", .equal, id).run()
                }
                return rows.count
            }
            deleted += batch
            if batch < 500 { return deleted }
        }
    }
}

/// The policy's part in a person's data. Consent records and opt-outs are not deleted: an erasure reduces them to
/// the minimal proof (the keyed hash of the recipient, program, kind, times and medium), which keeps the proof of
/// consent the policy asks for and keeps an opt-out in force. Decisions and conversations are deleted.
struct PolicyPersonalData: PersonalDataContributor {
    var category: String { "messagingPolicy" }
    var erasableTables: [String] { PolicySchema.erasableTables }

    struct Export: Encodable, Sendable {
        let consents: [Consent]
        let optOuts: [OptOut]
        let decisions: [Decision]
    }

    struct Decision: Encodable, Sendable {
        let decidedOn: Date
        let channel: String
        let programId: String?
        let sender: String
        let code: String?
        let rule: String
    }

    func consentRows(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> [PolicyStore.ConsentRow] {
        let index = tx.resource.crypto.subjectIndex(subject)
        if case .communicationUser = subject {
            return try await PolicyStore.consents(
                recipientIndex: nil, channel: nil, program: nil, userIndex: index, after: nil, limit: 100_000, resource: tx.resource, in: tx.db)
        }
        return try await PolicyStore.consents(
            recipientIndex: index, channel: nil, program: nil, after: nil, limit: 100_000, resource: tx.resource, in: tx.db)
    }

    func export(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> AnyEncodable? {
        let rows = try await consentRows(subject, in: tx)
        let consents = try await PolicyStore.consentsWithHistory(rows, resource: tx.resource, in: tx.db)
        var optOuts: [OptOut] = []
        var decisions: [Decision] = []
        if subject.indexKind != .communicationUser {
            let index = tx.resource.crypto.subjectIndex(subject)
            optOuts = try await PolicyStore.optOuts(recipientIndex: index, after: nil, limit: 100_000, resource: tx.resource, in: tx.db)
            decisions = try await tx.db.select().columns("decided_at", "channel", "program_id", "sender", "code", "rule")
                .from("messaging_decisions").where("resource_id", .equal, tx.resource.storageID).where("recipient_index", .equal, index)
                .orderBy("decided_at").all().map { row in
                    Decision(
                        decidedOn: Timestamp(milliseconds: try row.decode(column: "decided_at", as: Int64.self)).date,
                        channel: try row.decode(column: "channel", as: String.self),
                        programId: try row.decode(column: "program_id", as: String?.self),
                        sender: try row.decode(column: "sender", as: String.self), code: try row.decode(column: "code", as: String?.self),
                        rule: try row.decode(column: "rule", as: String.self))
                }
        }
        guard !consents.isEmpty || !optOuts.isEmpty || !decisions.isEmpty else { return nil }
        return AnyEncodable(Export(consents: consents, optOuts: optOuts, decisions: decisions))
    }

    func erase(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> ErasedItems {
        let rows = try await consentRows(subject, in: tx)
        let minimised = try await PolicyStore.minimise(
            consents: rows.filter { $0.state != .minimised }.map(\.id), now: tx.now, resource: tx.resource, in: tx.db)
        var confirmations = 0
        for row in rows {
            confirmations += try await Outbox.withdraw(correlatedWith: Correlation(scope: "consent:\(row.id)"), resource: tx.resource, in: tx.db)
        }
        var erased: ErasedItems = ["consentsMinimised": minimised, "confirmationsWithdrawn": confirmations]
        guard subject.indexKind != .communicationUser else { return erased }
        let index = tx.resource.crypto.subjectIndex(subject)
        let id = tx.resource.storageID
        // An opt-out stays (it must keep being honoured), found by its blind index only: the address itself goes.
        erased["optOutsPseudonymised"] = try await tx.db.update("messaging_optouts").set("recipient", to: SQLLiteral.null)
            .where("resource_id", .equal, id).where("recipient_index", .equal, index).where("recipient", .isNot, SQLLiteral.null)
            .runCounting()
        erased["decisions"] = try await tx.db.delete(from: "messaging_decisions").where("resource_id", .equal, id)
            .where("recipient_index", .equal, index).runCounting()
        erased["conversations"] = try await tx.db.delete(from: "messaging_conversations").where("resource_id", .equal, id)
            .where("recipient_index", .equal, index).runCounting()
        return erased
    }
}
