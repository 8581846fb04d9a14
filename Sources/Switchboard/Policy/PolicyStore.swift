import Crypto
import Foundation
import SQLKit

/// The queries of the policy's tables. Every function takes the caller's connection, so a gate decision, a consent
/// change and what they queue commit together.
enum PolicyStore {
    static let recipientField = PersonalField(rawValue: "messaging_consents.recipient")
    static let optOutRecipientField = PersonalField(rawValue: "messaging_optouts.recipient")
    static let evidenceField = PersonalField(rawValue: "messaging_consent_history.evidence")

    // MARK: Settings

    static func settings(resource: ResourceHandle, in db: any SQLDatabase) async throws -> PolicySettings {
        guard
            let row = try await db.select().columns("mode", "conversation_window_seconds").from("messaging_settings")
                .where("resource_id", .equal, resource.storageID).first()
        else { return PolicySettings() }
        return PolicySettings(
            mode: PolicyMode(rawValue: try row.decode(column: "mode", as: String.self)) ?? .enforce,
            conversationWindow: .seconds(try row.decode(column: "conversation_window_seconds", as: Int64.self)))
    }

    static func save(_ settings: PolicySettings, resource: ResourceHandle, now: Timestamp, in db: any SQLDatabase) async throws {
        try await save(settings, resourceID: resource.storageID, now: now, in: db)
    }

    static func save(_ settings: PolicySettings, resourceID: String, now: Timestamp, in db: any SQLDatabase) async throws {
        try await db.delete(from: "messaging_settings").where("resource_id", .equal, resourceID).run()
        try await db.insert(into: "messaging_settings").columns("resource_id", "mode", "conversation_window_seconds", "updated_at")
            .values(
                SQLBind(resourceID), SQLBind(settings.mode.rawValue), SQLBind(settings.conversationWindow.components.seconds),
                SQLBind(now.milliseconds)
            ).run()
    }

    // MARK: Programs

    static func program(_ id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> MessagingProgram? {
        try await db.select().columns("definition", "created_at", "updated_at").from("messaging_programs")
            .where("resource_id", .equal, resource.storageID).where("id", .equal, id).first().map(decodeProgram)
    }

    static func programs(after: String?, limit: Int, resource: ResourceHandle, in db: any SQLDatabase) async throws -> [MessagingProgram] {
        let query = db.select().columns("definition", "created_at", "updated_at").from("messaging_programs")
            .where("resource_id", .equal, resource.storageID)
        if let after { query.where("id", .greaterThan, after) }
        return try await query.orderBy("id").limit(limit).all().map(decodeProgram)
    }

    static func decodeProgram(_ row: any SQLRow) throws -> MessagingProgram {
        var program = try JSONBody.decoder.decode(MessagingProgram.self, from: Data(try row.decode(column: "definition", as: String.self).utf8))
        program.createdOn = Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)).date
        program.lastUpdatedOn = Timestamp(milliseconds: try row.decode(column: "updated_at", as: Int64.self)).date
        return program
    }

    /// Writes `program` and claims its senders; another program's sender is a conflict. Returns whether it is new.
    static func save(_ program: MessagingProgram, resource: ResourceHandle, now: Timestamp, in db: any SQLDatabase) async throws -> Bool {
        var stored = program
        stored.createdOn = nil
        stored.lastUpdatedOn = nil
        let definition = String(decoding: try JSONBody.encoder.encode(stored), as: UTF8.self)
        let senders = program.parsedSenders
        if !senders.isEmpty {
            let owners = try await db.select().columns("sender_key", "program_id").from("messaging_senders")
                .where("resource_id", .equal, resource.storageID).where("sender_key", .in, senders.map(\.key))
                .where("program_id", .notEqual, program.id).all()
            if let owner = owners.first {
                let key = try owner.decode(column: "sender_key", as: String.self)
                throw PolicyError.senderInUse(
                    sender: senders.first { $0.key == key }?.value ?? key, program: try owner.decode(column: "program_id", as: String.self))
            }
        }
        try await db.delete(from: "messaging_senders").where("resource_id", .equal, resource.storageID)
            .where("program_id", .equal, program.id).run()
        if !senders.isEmpty {
            var insert = db.insert(into: "messaging_senders").columns("resource_id", "sender_key", "channel", "program_id")
            for sender in senders {
                insert = insert.values(SQLBind(resource.storageID), SQLBind(sender.key), SQLBind(sender.channel.rawValue), SQLBind(program.id))
            }
            try await insert.run()
        }
        let updated = try await db.update("messaging_programs").set("definition", to: definition).set("updated_at", to: now.milliseconds)
            .where("resource_id", .equal, resource.storageID).where("id", .equal, program.id).returning("id").all()
        guard updated.isEmpty else { return false }
        try await db.insert(into: "messaging_programs").columns("resource_id", "id", "definition", "created_at", "updated_at")
            .values(SQLBind(resource.storageID), SQLBind(program.id), SQLBind(definition), SQLBind(now.milliseconds), SQLBind(now.milliseconds))
            .run()
        return true
    }

    static func deleteProgram(_ id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Bool {
        try await db.delete(from: "messaging_senders").where("resource_id", .equal, resource.storageID).where("program_id", .equal, id).run()
        return
            !(try await db.delete(from: "messaging_programs").where("resource_id", .equal, resource.storageID).where("id", .equal, id)
            .returning("id").all()).isEmpty
    }

    /// The program a sender belongs to, if any but the default.
    static func programID(ofSender sender: MessagingSender, resource: ResourceHandle, in db: any SQLDatabase) async throws -> String? {
        try await db.select().column("program_id").from("messaging_senders").where("resource_id", .equal, resource.storageID)
            .where("sender_key", .equal, sender.key).first()?.decode(column: "program_id", as: String.self)
    }

    // MARK: Consents

    struct ConsentRow: Sendable {
        let id: String
        let recipient: String?
        let channel: MessagingChannel
        let programID: String
        let kind: Consent.Kind
        let state: Consent.State
        let ageVerified: Bool
        let thirdParty: String?
        let grantedAt: Timestamp
        let createdAt: Timestamp
        let updatedAt: Timestamp
    }

    static let consentColumns = [
        "id", "recipient", "channel", "program_id", "kind", "state", "age_verified", "third_party", "granted_at", "created_at", "updated_at",
    ]

    static func decodeConsent(_ row: any SQLRow, resource: ResourceHandle) throws -> ConsentRow {
        ConsentRow(
            id: try row.decode(column: "id", as: String.self),
            recipient: try resource.crypto.openIfPresent(try row.decode(column: "recipient", as: Data?.self), field: recipientField),
            channel: MessagingChannel(rawValue: try row.decode(column: "channel", as: String.self)) ?? .sms,
            programID: try row.decode(column: "program_id", as: String.self),
            kind: Consent.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .oral,
            state: Consent.State(rawValue: try row.decode(column: "state", as: String.self)) ?? .revoked,
            ageVerified: try row.decode(column: "age_verified", as: Int.self) == 1,
            thirdParty: try row.decode(column: "third_party", as: String?.self),
            grantedAt: Timestamp(milliseconds: try row.decode(column: "granted_at", as: Int64.self)),
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
            updatedAt: Timestamp(milliseconds: try row.decode(column: "updated_at", as: Int64.self)))
    }

    static func consent(
        recipientIndex: Data, channel: MessagingChannel, program: String, resource: ResourceHandle, in db: any SQLDatabase
    ) async throws -> ConsentRow? {
        try await db.select().columns(consentColumns.map { SQLColumn($0) }).from("messaging_consents")
            .where("resource_id", .equal, resource.storageID).where("recipient_index", .equal, recipientIndex)
            .where("channel", .equal, channel.rawValue).where("program_id", .equal, program)
            .first().map { try decodeConsent($0, resource: resource) }
    }

    static func consent(id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> ConsentRow? {
        try await db.select().columns(consentColumns.map { SQLColumn($0) }).from("messaging_consents")
            .where("resource_id", .equal, resource.storageID).where("id", .equal, id)
            .first().map { try decodeConsent($0, resource: resource) }
    }

    /// Consents of a recipient (every channel and program), or of the whole resource, after the id `after`.
    static func consents(
        recipientIndex: Data?, channel: MessagingChannel?, program: String?, userIndex: Data? = nil, after: String?, limit: Int,
        resource: ResourceHandle, in db: any SQLDatabase
    ) async throws -> [ConsentRow] {
        let query = db.select().columns(consentColumns.map { SQLColumn($0) }).from("messaging_consents")
            .where("resource_id", .equal, resource.storageID)
        if let recipientIndex { query.where("recipient_index", .equal, recipientIndex) }
        if let userIndex { query.where("user_index", .equal, userIndex) }
        if let channel { query.where("channel", .equal, channel.rawValue) }
        if let program { query.where("program_id", .equal, program) }
        if let after { query.where("id", .greaterThan, after) }
        return try await query.orderBy("id").limit(limit).all().map { try decodeConsent($0, resource: resource) }
    }

    static func insertConsent(
        id: String, recipient: String, recipientIndex: Data, channel: MessagingChannel, program: String, kind: Consent.Kind,
        state: Consent.State, ageVerified: Bool, thirdParty: String?, userIndex: Data?, confirmationHash: Data?, now: Timestamp,
        resource: ResourceHandle, in db: any SQLDatabase
    ) async throws {
        try await db.insert(into: "messaging_consents")
            .columns(
                "resource_id", "id", "recipient_index", "recipient", "channel", "program_id", "kind", "state", "age_verified",
                "third_party", "user_index", "confirmation_hash", "granted_at", "created_at", "updated_at", "version"
            )
            .values(
                SQLBind(resource.storageID), SQLBind(id), SQLBind(recipientIndex),
                SQLBind(try resource.crypto.seal(recipient, field: recipientField)), SQLBind(channel.rawValue), SQLBind(program),
                SQLBind(kind.rawValue), SQLBind(state.rawValue), SQLBind(ageVerified ? 1 : 0), SQLBind(thirdParty), SQLBind(userIndex),
                SQLBind(confirmationHash), SQLBind(now.milliseconds), SQLBind(now.milliseconds), SQLBind(now.milliseconds), SQLBind(0)
            ).run()
    }

    /// Renews a consent: a new grant replaces kind, evidence flags and state.
    static func renewConsent(
        id: String, kind: Consent.Kind, state: Consent.State, ageVerified: Bool, thirdParty: String?, userIndex: Data?,
        confirmationHash: Data?, recipient: String, now: Timestamp, resource: ResourceHandle, in db: any SQLDatabase
    ) async throws {
        let update = db.update("messaging_consents").set("kind", to: kind.rawValue).set("state", to: state.rawValue)
            .set("age_verified", to: ageVerified ? 1 : 0).set("third_party", to: thirdParty)
            .set("confirmation_hash", to: confirmationHash).set("granted_at", to: now.milliseconds)
            .set("recipient", to: try resource.crypto.seal(recipient, field: recipientField))
        if let userIndex { update.set("user_index", to: userIndex) }
        try await update.where("resource_id", .equal, resource.storageID).where("id", .equal, id).run()
    }

    static func setConsentState(_ state: Consent.State, id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.update("messaging_consents").set("state", to: state.rawValue).set("confirmation_hash", to: SQLLiteral.null)
            .where("resource_id", .equal, resource.storageID).where("id", .equal, id).run()
    }

    /// Appends an entry to a consent's history, in the order of the consent row's lock, and marks the consent
    /// changed at `now`.
    static func appendHistory(
        consent: String, action: Consent.Entry.Action, kind: Consent.Kind? = nil, source: String? = nil, evidence: Consent.Evidence? = nil,
        now: Timestamp, resource: ResourceHandle, in db: any SQLDatabase
    ) async throws {
        guard
            let seq = try await db.update("messaging_consents").set("version", to: SQLRaw("version + 1"))
                .set("updated_at", to: now.milliseconds).where("resource_id", .equal, resource.storageID).where("id", .equal, consent)
                .returning("version").first()?.decode(column: "version", as: Int.self)
        else { return }
        let sealed = try evidence.map { try resource.crypto.seal(data: try JSONBody.encoder.encode($0), field: evidenceField) }
        try await db.insert(into: "messaging_consent_history")
            .columns("resource_id", "consent_id", "seq", "action", "at", "kind", "medium", "captured_at", "source", "evidence")
            .values(
                SQLBind(resource.storageID), SQLBind(consent), SQLBind(seq), SQLBind(action.rawValue), SQLBind(now.milliseconds),
                SQLBind(kind?.rawValue), SQLBind(evidence?.medium), SQLBind(evidence?.capturedOn.map { Timestamp($0).milliseconds }),
                SQLBind(source), SQLBind(sealed)
            ).run()
    }

    /// Consents as listed and exported: each row with its history, in the caller's connection.
    static func consentsWithHistory(_ rows: [ConsentRow], resource: ResourceHandle, in db: any SQLDatabase) async throws -> [Consent] {
        let history = try await history(of: rows.map(\.id), resource: resource, in: db)
        return rows.map { row in
            Consent(
                id: row.id, recipient: row.recipient, channel: row.channel, programId: row.programID, kind: row.kind, state: row.state,
                thirdParty: row.thirdParty, ageVerified: row.ageVerified, createdOn: row.createdAt.date, lastChangedOn: row.updatedAt.date,
                history: history[row.id] ?? [])
        }
    }

    static func history(of consents: [String], resource: ResourceHandle, in db: any SQLDatabase) async throws -> [String: [Consent.Entry]] {
        guard !consents.isEmpty else { return [:] }
        let rows = try await db.select().columns("consent_id", "seq", "action", "at", "kind", "medium", "captured_at", "source", "evidence")
            .from("messaging_consent_history").where("resource_id", .equal, resource.storageID).where("consent_id", .in, consents)
            .orderBy("consent_id").orderBy("seq").all()
        var result: [String: [Consent.Entry]] = [:]
        for row in rows {
            let sealed = try row.decode(column: "evidence", as: Data?.self)
            var evidence = try sealed.map {
                try JSONBody.decoder.decode(Consent.Evidence.self, from: try resource.crypto.open(data: $0, field: evidenceField))
            }
            if evidence == nil, let medium = try row.decode(column: "medium", as: String?.self) {
                // Minimised: the medium and the time of capture are all that is left.
                evidence = Consent.Evidence(
                    capturedOn: try row.decode(column: "captured_at", as: Int64?.self).map { Timestamp(milliseconds: $0).date }, medium: medium)
            }
            result[try row.decode(column: "consent_id", as: String.self), default: []].append(
                Consent.Entry(
                    action: Consent.Entry.Action(rawValue: try row.decode(column: "action", as: String.self)) ?? .granted,
                    at: Timestamp(milliseconds: try row.decode(column: "at", as: Int64.self)).date,
                    kind: try row.decode(column: "kind", as: String?.self).flatMap(Consent.Kind.init(rawValue:)),
                    source: try row.decode(column: "source", as: String?.self), evidence: evidence))
        }
        return result
    }

    /// The consent awaiting confirmation whose link carries `token`.
    static func consent(confirmationHash: Data, resource: ResourceHandle, in db: any SQLDatabase) async throws -> ConsentRow? {
        try await db.select().columns(consentColumns.map { SQLColumn($0) }).from("messaging_consents")
            .where("resource_id", .equal, resource.storageID).where("confirmation_hash", .equal, confirmationHash)
            .where("state", .equal, Consent.State.awaitingConfirmation.rawValue)
            .first().map { try decodeConsent($0, resource: resource) }
    }

    static func hash(confirmationToken token: String) -> Data {
        Data(SHA256.hash(data: Data(token.utf8)))
    }

    /// Reduces consents to the minimal proof: the keyed hash of the recipient, the program, the kind and the
    /// times, with the medium of each grant. Returns how many it reduced.
    @discardableResult
    static func minimise(consents ids: [String], now: Timestamp, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        try await db.update("messaging_consents").set("recipient", to: SQLLiteral.null).set("user_index", to: SQLLiteral.null)
            .set("third_party", to: SQLLiteral.null).set("confirmation_hash", to: SQLLiteral.null)
            .set("state", to: Consent.State.minimised.rawValue)
            .where("resource_id", .equal, resource.storageID).where("id", .in, ids).run()
        try await db.update("messaging_consent_history").set("evidence", to: SQLLiteral.null).set("source", to: SQLLiteral.null)
            .where("resource_id", .equal, resource.storageID).where("consent_id", .in, ids).run()
        for id in ids {
            try await appendHistory(consent: id, action: .minimised, now: now, resource: resource, in: db)
        }
        return ids.count
    }

    // MARK: Opt-outs

    static func insertOptOut(
        id: String, recipient: String, channel: MessagingChannel?, program: String?, source: String, now: Timestamp,
        resource: ResourceHandle, in db: any SQLDatabase
    ) async throws {
        try await db.insert(into: "messaging_optouts")
            .columns("resource_id", "id", "recipient_index", "recipient", "channel", "program_id", "source", "created_at")
            .values(
                SQLBind(resource.storageID), SQLBind(id),
                SQLBind(resource.crypto.blindIndex(recipient, kind: MessagingAddress.indexKind(of: recipient))),
                SQLBind(try resource.crypto.seal(recipient, field: optOutRecipientField)), SQLBind(channel?.rawValue), SQLBind(program),
                SQLBind(source), SQLBind(now.milliseconds)
            ).run()
    }

    static func optOuts(recipientIndex: Data?, after: String?, limit: Int, resource: ResourceHandle, in db: any SQLDatabase) async throws
        -> [OptOut]
    {
        let query = db.select().columns("id", "recipient", "channel", "program_id", "source", "created_at").from("messaging_optouts")
            .where("resource_id", .equal, resource.storageID)
        if let recipientIndex { query.where("recipient_index", .equal, recipientIndex) }
        if let after { query.where("id", .greaterThan, after) }
        return try await query.orderBy("id").limit(limit).all().map { try decodeOptOut($0, resource: resource) }
    }

    static func decodeOptOut(_ row: any SQLRow, resource: ResourceHandle) throws -> OptOut {
        OptOut(
            id: try row.decode(column: "id", as: String.self),
            recipient: try resource.crypto.openIfPresent(try row.decode(column: "recipient", as: Data?.self), field: optOutRecipientField),
            channel: try row.decode(column: "channel", as: String?.self).flatMap(MessagingChannel.init(rawValue:)),
            programId: try row.decode(column: "program_id", as: String?.self),
            source: try row.decode(column: "source", as: String.self),
            recordedOn: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)).date)
    }

    /// The latest opt-out of the recipient that covers `channel` and `program`, with the time it was recorded.
    static func latestOptOut(
        recipientIndex: Data, channel: MessagingChannel, program: String, resource: ResourceHandle, in db: any SQLDatabase
    ) async throws -> (optOut: OptOut, at: Timestamp)? {
        try await db.select().columns("id", "recipient", "channel", "program_id", "source", "created_at").from("messaging_optouts")
            .where("resource_id", .equal, resource.storageID).where("recipient_index", .equal, recipientIndex)
            .where { $0.where("channel", .is, SQLLiteral.null).orWhere("channel", .equal, channel.rawValue) }
            .where { $0.where("program_id", .is, SQLLiteral.null).orWhere("program_id", .equal, program) }
            .orderBy("created_at", .descending).limit(1).first().map {
                (try decodeOptOut($0, resource: resource), Timestamp(milliseconds: try $0.decode(column: "created_at", as: Int64.self)))
            }
    }

    // MARK: What the gate reads, for every recipient of a message at once

    /// What the gate needs to know of each recipient of one message: their consent to the program on the channel
    /// (and whether they consented to another program, which the gate names when it refuses for want of consent),
    /// the latest opt-out covering it, and when they last wrote to the sender. Three queries per 500 recipients,
    /// whatever their number.
    struct RecipientFacts: Sendable {
        var consents: [Data: ConsentRow] = [:]
        /// Recipients with an active consent on the channel to a program other than the message's.
        var consentedElsewhere: Set<Data> = []
        var optOuts: [Data: (optOut: OptOut, at: Timestamp)] = [:]
        var lastInbound: [Data: Timestamp] = [:]
    }

    static func facts(
        about indexes: [Data], channel: MessagingChannel, program: String, sender: MessagingSender, resource: ResourceHandle,
        in db: any SQLDatabase
    ) async throws -> RecipientFacts {
        var facts = RecipientFacts()
        let unique = Array(Set(indexes))
        for start in stride(from: 0, to: unique.count, by: 500) {
            let chunk = Array(unique[start..<min(start + 500, unique.count)])
            // Every program's consents on the channel: the message's program's in full, the others' only as a fact.
            for row in try await db.select().columns((consentColumns + ["recipient_index"]).map { SQLColumn($0) }).from("messaging_consents")
                .where("resource_id", .equal, resource.storageID).where("recipient_index", .in, chunk)
                .where("channel", .equal, channel.rawValue).all()
            {
                let index = try row.decode(column: "recipient_index", as: Data.self)
                if try row.decode(column: "program_id", as: String.self) == program {
                    facts.consents[index] = try decodeConsent(row, resource: resource)
                } else if try row.decode(column: "state", as: String.self) == Consent.State.active.rawValue {
                    facts.consentedElsewhere.insert(index)
                }
            }
            let optOuts = try await db.select()
                .columns("id", "recipient", "channel", "program_id", "source", "created_at", "recipient_index")
                .from("messaging_optouts").where("resource_id", .equal, resource.storageID).where("recipient_index", .in, chunk)
                .where(group: { $0.where("channel", .is, SQLLiteral.null).orWhere("channel", .equal, channel.rawValue) })
                .where(group: { $0.where("program_id", .is, SQLLiteral.null).orWhere("program_id", .equal, program) })
                .all()
            for row in optOuts {
                let index = try row.decode(column: "recipient_index", as: Data.self)
                let at = Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self))
                if let known = facts.optOuts[index], known.at >= at { continue }
                facts.optOuts[index] = (try decodeOptOut(row, resource: resource), at)
            }
            for row in try await db.select().columns("recipient_index", "last_inbound_at").from("messaging_conversations")
                .where("resource_id", .equal, resource.storageID).where("recipient_index", .in, chunk)
                .where("channel", .equal, channel.rawValue).where("sender_key", .equal, sender.key).all()
            {
                facts.lastInbound[try row.decode(column: "recipient_index", as: Data.self)] = Timestamp(
                    milliseconds: try row.decode(column: "last_inbound_at", as: Int64.self))
            }
        }
        return facts
    }

    // MARK: Conversations

    static func recordInbound(
        recipientIndex: Data, channel: MessagingChannel, sender: MessagingSender, at now: Timestamp, resource: ResourceHandle,
        in db: any SQLDatabase
    ) async throws {
        let updated = try await db.update("messaging_conversations").set("last_inbound_at", to: now.milliseconds)
            .where("resource_id", .equal, resource.storageID).where("recipient_index", .equal, recipientIndex)
            .where("channel", .equal, channel.rawValue).where("sender_key", .equal, sender.key).returning("sender_key").all()
        guard updated.isEmpty else { return }
        try await db.insert(into: "messaging_conversations")
            .columns("resource_id", "recipient_index", "channel", "sender_key", "last_inbound_at")
            .values(SQLBind(resource.storageID), SQLBind(recipientIndex), SQLBind(channel.rawValue), SQLBind(sender.key), SQLBind(now.milliseconds))
            .run()
    }

    // MARK: Content rules

    /// The resource's own rules and the ids of the default rules it disabled.
    static func contentRules(resource: ResourceHandle, in db: any SQLDatabase) async throws -> (custom: [ContentRule], disabled: Set<String>) {
        let rows = try await db.select().columns("id", "definition", "disabled").from("messaging_content_rules")
            .where("resource_id", .equal, resource.storageID).orderBy("id").all()
        var custom: [ContentRule] = []
        var disabled = Set<String>()
        for row in rows {
            if try row.decode(column: "disabled", as: Int.self) == 1 { disabled.insert(try row.decode(column: "id", as: String.self)) }
            if let definition = try row.decode(column: "definition", as: String?.self) {
                custom.append(try JSONBody.decoder.decode(ContentRule.self, from: Data(definition.utf8)))
            }
        }
        return (custom, disabled)
    }

    /// A number that changes whenever the resource's rules do (the compiled rule set is cached on it).
    static func contentRulesVersion(resource: ResourceHandle, in db: any SQLDatabase) async throws -> String {
        let row = try await db.select().column(SQLFunction("count", args: SQLLiteral.all), as: "n")
            .column(SQLFunction("max", args: SQLColumn("updated_at")), as: "latest").from("messaging_content_rules")
            .where("resource_id", .equal, resource.storageID).first()
        return "\(try row?.decode(column: "n", as: Int.self) ?? 0):\(try row?.decode(column: "latest", as: Int64?.self) ?? 0)"
    }

    static func saveContentRule(
        id: String, rule: ContentRule?, disabled: Bool, now: Timestamp, resource: ResourceHandle, in db: any SQLDatabase
    ) async throws {
        try await db.delete(from: "messaging_content_rules").where("resource_id", .equal, resource.storageID).where("id", .equal, id).run()
        try await db.insert(into: "messaging_content_rules").columns("resource_id", "id", "definition", "disabled", "updated_at")
            .values(
                SQLBind(resource.storageID), SQLBind(id), SQLBind(try rule.map { String(decoding: try JSONBody.encoder.encode($0), as: UTF8.self) }),
                SQLBind(disabled ? 1 : 0), SQLBind(now.milliseconds)
            ).run()
    }

    static func deleteContentRule(_ id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Bool {
        !(try await db.delete(from: "messaging_content_rules").where("resource_id", .equal, resource.storageID).where("id", .equal, id)
            .returning("id").all()).isEmpty
    }

    // MARK: Decisions

    static func record(
        _ decisions: [PolicyDecision], channel: MessagingChannel, sender: String, operation: String?, now: Timestamp,
        resource: ResourceHandle, in db: any SQLDatabase
    ) async throws {
        guard !decisions.isEmpty else { return }
        // Written out (see WrittenOutSQL.swift): a message to 100 recipients records 100 decisions.
        try await db.insertRows(
            into: "messaging_decisions",
            columns: [
                "resource_id", "id", "decided_at", "channel", "program_id", "sender", "recipient_index", "recipient_mask", "code", "rule", "mode",
                "operation",
            ],
            decisions.map { decision in
                [
                    resource.storageID, decision.id, now.milliseconds, channel.rawValue, decision.programId, sender,
                    resource.crypto.blindIndex(decision.recipient, kind: MessagingAddress.indexKind(of: decision.recipient)),
                    MessagingAddress.masked(decision.recipient), decision.code?.rawValue, decision.rule, decision.mode.rawValue, operation,
                ]
            })
        try await OperationLogStore.insert(
            decisions.map { decision in
                OperationLogEntry(
                    category: .policy, operation: "\(channel.rawValue).\(operation ?? "send")", status: decision.code?.rawValue ?? "allowed",
                    subject: MessagingAddress.subject(of: decision.recipient),
                    details: "rule \(decision.rule), mode \(decision.mode.rawValue)", time: now)
            }, resource: resource, in: db)
    }
}
