import Foundation
import SQLKit

/// How the policy held over a period: sends accepted and refused by code, what audit mode let through that
/// enforcement would have refused, the opt-out rate and the share of recipients with consent on record.
public struct PolicySummary: Sendable, Encodable {
    public let from: Date
    public let to: Date
    public let mode: PolicyMode
    /// Decisions made (one per recipient of each send).
    public let decisions: Int
    public let accepted: Int
    /// Refused and not sent, by code.
    public let refused: [String: Int]
    /// Refused in audit mode, so sent anyway, by code.
    public let wouldRefuse: [String: Int]
    /// Distinct recipients decided on.
    public let recipients: Int
    /// Opt-outs recorded in the period.
    public let optOuts: Int
    /// Distinct opted-out recipients over distinct recipients messaged (0 when nobody was).
    public let optOutRate: Double
    /// Distinct recipients with an active consent on record over distinct recipients decided on.
    public let consentCoverage: Double
    /// Consents awaiting the recipient's confirmation now.
    public let doubleOptInsPending: Int
    /// The same decisions per UTC day, oldest first, every day of the period present (the console's chart).
    public let daily: [Day]

    public struct Day: Sendable, Encodable, Equatable {
        /// `2026-12-02`.
        public let date: String
        public let accepted: Int
        public let refused: Int
        public let wouldRefuse: Int
    }
}

/// One recorded decision, as listed (the console's decision log): never the content, the recipient masked.
public struct RecordedDecision: Sendable, Encodable {
    public let id: String
    public let decidedOn: Date
    public let channel: MessagingChannel
    public let programId: String?
    public let sender: String
    public let recipient: String
    public let code: String?
    public let rule: String
    public let mode: PolicyMode
    public let operation: String?
}

extension PolicyService {
    /// The summary of the last `days` days (1–90, as long as decisions are kept).
    public func summary(days: Int, in resource: ResourceHandle) async throws -> PolicySummary {
        guard (1...90).contains(days) else { throw PolicyError.invalid("days must be between 1 and 90.", target: "days") }
        let now = clock.now
        let since = now.adding(seconds: -Int64(days) * 86_400)
        return try await resource.store.read { db in
            let id = resource.storageID
            let settings = try await PolicyStore.settings(resource: resource, in: db)
            let counts = try await db.select().column("code").column("mode").column(SQLFunction("count", args: SQLLiteral.all), as: "n")
                .from("messaging_decisions").where("resource_id", .equal, id).where("decided_at", .greaterThanOrEqual, since.milliseconds)
                .groupBy("code").groupBy("mode").all()
            var (total, accepted) = (0, 0)
            var refused: [String: Int] = [:]
            var wouldRefuse: [String: Int] = [:]
            for row in counts {
                let n = try row.decode(column: "n", as: Int.self)
                total += n
                guard let code = try row.decode(column: "code", as: String?.self) else {
                    accepted += n
                    continue
                }
                if try row.decode(column: "mode", as: String.self) == PolicyMode.audit.rawValue {
                    wouldRefuse[code, default: 0] += n
                } else {
                    refused[code, default: 0] += n
                }
            }
            let dayLength: Int64 = 86_400_000
            let perDay = try await db.select()
                .column(SQLBinaryExpression(SQLColumn("decided_at"), .divide, SQLLiteral.numeric("\(dayLength)")), as: "day")
                .column(SQLFunction("count", args: SQLLiteral.all), as: "n").column("code").column("mode")
                .from("messaging_decisions").where("resource_id", .equal, id).where("decided_at", .greaterThanOrEqual, since.milliseconds)
                .groupBy(SQLBinaryExpression(SQLColumn("decided_at"), .divide, SQLLiteral.numeric("\(dayLength)"))).groupBy("code").groupBy("mode")
                .all()
            var buckets: [Int64: (accepted: Int, refused: Int, wouldRefuse: Int)] = [:]
            for row in perDay {
                let day = try row.decode(column: "day", as: Int64.self)
                let n = try row.decode(column: "n", as: Int.self)
                var bucket = buckets[day] ?? (0, 0, 0)
                if try row.decode(column: "code", as: String?.self) == nil {
                    bucket.accepted += n
                } else if try row.decode(column: "mode", as: String.self) == PolicyMode.audit.rawValue {
                    bucket.wouldRefuse += n
                } else {
                    bucket.refused += n
                }
                buckets[day] = bucket
            }
            let daily = (since.milliseconds / dayLength...now.milliseconds / dayLength).map { day in
                let bucket = buckets[day] ?? (0, 0, 0)
                return PolicySummary.Day(
                    date: String(APIDate.format(Timestamp(milliseconds: day * dayLength).date).prefix(10)), accepted: bucket.accepted,
                    refused: bucket.refused, wouldRefuse: bucket.wouldRefuse)
            }
            let recipients = Set(
                try await db.select().distinct().column("recipient_index").from("messaging_decisions").where("resource_id", .equal, id)
                    .where("decided_at", .greaterThanOrEqual, since.milliseconds).all(decodingColumn: "recipient_index", as: Data.self))
            let optOutRows = try await db.select().column("recipient_index").from("messaging_optouts").where("resource_id", .equal, id)
                .where("created_at", .greaterThanOrEqual, since.milliseconds).all(decodingColumn: "recipient_index", as: Data.self)
            var consented = Set<Data>()
            let all = Array(recipients)
            for start in stride(from: 0, to: all.count, by: 500) {
                let chunk = Array(all[start..<min(start + 500, all.count)])
                consented.formUnion(
                    try await db.select().column("recipient_index").from("messaging_consents").where("resource_id", .equal, id)
                        .where("recipient_index", .in, chunk).where("state", .equal, Consent.State.active.rawValue)
                        .all(decodingColumn: "recipient_index", as: Data.self))
            }
            let pending =
                try await db.select().column(SQLFunction("count", args: SQLLiteral.all), as: "n").from("messaging_consents")
                .where("resource_id", .equal, id).where("state", .equal, Consent.State.awaitingConfirmation.rawValue).first()?
                .decode(column: "n", as: Int.self) ?? 0
            let optedOut = Set(optOutRows).intersection(recipients)
            return PolicySummary(
                from: since.date, to: now.date, mode: settings.mode, decisions: total, accepted: accepted, refused: refused,
                wouldRefuse: wouldRefuse, recipients: recipients.count, optOuts: optOutRows.count,
                optOutRate: recipients.isEmpty ? 0 : Double(optedOut.count) / Double(recipients.count),
                consentCoverage: recipients.isEmpty ? 0 : Double(consented.count) / Double(recipients.count), doubleOptInsPending: pending,
                daily: daily)
        }
    }

    /// Recorded decisions, newest first, optionally only refusals (or would-be refusals).
    public func decisions(refusedOnly: Bool, before: String?, limit: Int, in resource: ResourceHandle) async throws -> [RecordedDecision] {
        try await resource.store.read { db in
            let query = db.select().columns(
                "id", "decided_at", "channel", "program_id", "sender", "recipient_mask", "code", "rule", "mode", "operation"
            )
            .from("messaging_decisions").where("resource_id", .equal, resource.storageID)
            if refusedOnly { query.where("code", .isNot, SQLLiteral.null) }
            if let before, let (time, id) = Self.decisionCursor(before) {
                query.where {
                    $0.where("decided_at", .lessThan, time).orWhere { $0.where("decided_at", .equal, time).where("id", .lessThan, id) }
                }
            }
            return try await query.orderBy("decided_at", .descending).orderBy("id", .descending).limit(limit).all().map { row in
                RecordedDecision(
                    id: try row.decode(column: "id", as: String.self),
                    decidedOn: Timestamp(milliseconds: try row.decode(column: "decided_at", as: Int64.self)).date,
                    channel: MessagingChannel(rawValue: try row.decode(column: "channel", as: String.self)) ?? .sms,
                    programId: try row.decode(column: "program_id", as: String?.self), sender: try row.decode(column: "sender", as: String.self),
                    recipient: try row.decode(column: "recipient_mask", as: String.self), code: try row.decode(column: "code", as: String?.self),
                    rule: try row.decode(column: "rule", as: String.self),
                    mode: PolicyMode(rawValue: try row.decode(column: "mode", as: String.self)) ?? .enforce,
                    operation: try row.decode(column: "operation", as: String?.self))
            }
        }
    }

    /// The position of a decision in the newest-first order: `time:id`.
    static func decisionCursor(_ text: String) -> (Int64, String)? {
        guard let colon = text.firstIndex(of: ":"), let time = Int64(text[..<colon]) else { return nil }
        return (time, String(text[text.index(after: colon)...]))
    }
}
