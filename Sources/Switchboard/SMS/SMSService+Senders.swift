import Foundation
import SMPP
import SQLKit

/// Senders (the numbers a resource holds, the alphanumeric ids it registers), opt-out management as ACS has it, and
/// the sandbox handsets.
extension SMSService {
    /// Who may send SMS for a resource, for the policy gate: a number it holds with outbound SMS, or an
    /// alphanumeric id it registered.
    struct Authority: SenderAuthority {
        var channel: MessagingChannel { .sms }

        func owns(_ sender: MessagingSender, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Bool {
            switch sender.kind {
            case .phoneNumber: try await NumbersStore.sendsSMS(from: sender.value, resource: resource, in: db)
            case .alphanumeric: try await SMSStore.alphanumericSender(sender.value, resource: resource, in: db) != nil
            default: false
            }
        }
    }

    /// `from` of an opt-out request: a sender the resource owns; 400 otherwise.
    func ownedSender(_ text: String, in resource: ResourceHandle) async throws -> String {
        guard let sender = MessagingSender(parsing: text), sender.channel == .sms else {
            throw SMSError.invalid("from must be an E.164 phone number or an alphanumeric sender id.", target: "from")
        }
        guard try await resource.store.read({ db in try await Authority().owns(sender, resource: resource, in: db) }) else {
            throw SMSError.invalid("from is not a number this resource holds with SMS, nor a sender id it registered.", target: "from")
        }
        return sender.value
    }

    /// Opts `recipient` out of `from`'s program on every number of it (`sms/optouts:add`).
    func optOut(_ recipient: String, from: String, in resource: ResourceHandle) async throws {
        let program = try await resource.store.read { db in
            try await MessagingSender(parsing: from).asyncMap { try await PolicyStore.programID(ofSender: $0, resource: resource, in: db) }
        }
        try await policy.recordOptOut(
            .init(recipient: recipient, channel: .sms, programID: program ?? MessagingProgram.defaultID, source: "api"), in: resource)
    }

    /// Lifts an opt-out (`sms/optouts:remove`): the ledger keeps the opt-out and records consent renewed after it.
    func optIn(_ recipient: String, from: String, in resource: ResourceHandle, serverURL: String) async throws {
        guard try await isOptedOut(recipient, from: from, in: resource) else { return }
        _ = try await policy.resume(
            recipient: recipient, channel: .sms, sender: from, keyword: "sms/optouts:remove", medium: "api", in: resource, serverURL: serverURL)
    }

    func isOptedOut(_ recipient: String, from: String, in resource: ResourceHandle) async throws -> Bool {
        try await policy.isOptedOut(recipient: recipient, channel: .sms, sender: from, in: resource)
    }

    // MARK: Alphanumeric sender ids

    static func parseSenderID(_ text: String) throws -> MessagingSender {
        guard let sender = MessagingSender(parsing: text), sender.kind == .alphanumeric else {
            throw SMSError.invalid("An alphanumeric sender id is 1-11 letters, digits and spaces, at least one a letter.", target: "senderId")
        }
        return sender
    }

    /// Registers (or replaces) an alphanumeric sender id and the countries it may send to.
    public func putAlphanumericSender(_ id: String, countries: [String], in resource: ResourceHandle) async throws -> (AlphanumericSender, Bool) {
        let sender = try Self.parseSenderID(id)
        let codes = countries.map { $0.uppercased() }
        guard !codes.isEmpty, codes.allSatisfy({ code in CallingCodes.codes.values.contains(code) }) else {
            let known = Set(CallingCodes.codes.values).sorted().joined(separator: ", ")
            throw SMSError.invalid(
                "countries must name countries where alphanumeric sender ids are used (not US or CA): \(known).", target: "countries")
        }
        let created = try await changes.run(in: resource) { tx -> Bool in
            let existing = try await SMSStore.alphanumericSender(sender.value, resource: resource, in: tx.db)
            let list = String(decoding: try JSONEncoder().encode(Array(Set(codes)).sorted()), as: UTF8.self)
            if existing == nil {
                try await tx.db.insert(into: "sms_alphanumeric_senders").columns(
                    "resource_id", "sender_key", "sender_id", "countries", "created_at", "updated_at"
                )
                .values(
                    SQLBind(resource.storageID), SQLBind(sender.key), SQLBind(sender.value), SQLBind(list), SQLBind(tx.now.milliseconds),
                    SQLBind(tx.now.milliseconds)
                ).run()
            } else {
                try await tx.db.update("sms_alphanumeric_senders").set("countries", to: list).set("sender_id", to: sender.value)
                    .set("updated_at", to: tx.now.milliseconds).where("resource_id", .equal, resource.storageID)
                    .where("sender_key", .equal, sender.key).run()
            }
            return existing == nil
        }
        return (try await alphanumericSender(sender.value, in: resource), created)
    }

    public func alphanumericSender(_ id: String, in resource: ResourceHandle) async throws -> AlphanumericSender {
        guard let found = try await resource.store.read({ db in try await SMSStore.alphanumericSender(id, resource: resource, in: db) }) else {
            throw SMSError.senderNotFound(id)
        }
        return found
    }

    public func alphanumericSenders(in resource: ResourceHandle) async throws -> [AlphanumericSender] {
        try await resource.store.read { db in try await SMSStore.alphanumericSenders(resource: resource, in: db) }
    }

    public func deleteAlphanumericSender(_ id: String, in resource: ResourceHandle) async throws {
        _ = try await alphanumericSender(id, in: resource)
        try await changes.run(in: resource) { tx in
            try await tx.db.delete(from: "sms_alphanumeric_senders").where("resource_id", .equal, resource.storageID)
                .where("sender_key", .equal, id.lowercased()).run()
        }
    }

    // MARK: The sandbox handsets

    public func sandboxMessages(handset: String?, before: (Int64, String)? = nil, limit: Int, in resource: ResourceHandle) async throws
        -> [SandboxInbox.Entry]
    {
        try await resource.store.read { db in
            try await SandboxInbox.entries(handset: handset, before: before, limit: limit, resource: resource, in: db)
        }
    }

    /// A sandbox handset writes to one of the resource's numbers (a reply, `STOP`): it arrives as any inbound
    /// message would.
    public func sandboxReceive(from: String, to: String, text: String, in resource: ResourceHandle, serverURL: String) async throws -> String {
        guard let handset = MessagingAddress.phoneNumber(from) else {
            throw SMSError.invalid("from must be the handset's E.164 phone number.", target: "from")
        }
        guard let number = MessagingAddress.phoneNumber(to) else { throw SMSError.invalid("to must be an E.164 phone number.", target: "to") }
        guard !text.isEmpty, text.count <= Self.messageLimit else {
            throw SMSError.invalid("message must be 1-\(Self.messageLimit) characters.", target: "message")
        }
        guard try await resource.store.read({ db in try await NumbersStore.number(number, resource: resource, in: db) }) != nil else {
            throw SMSError.numberNotHeld(number)
        }
        let plan = SMSEncoding.plan(text)
        return try await receive(
            SMSInbound(carrier: SandboxSMSCarrier.name, from: handset, to: number, text: text, segments: plan.segmentCount), in: resource,
            serverURL: serverURL, keepingSandboxCopy: true)
    }
}
