import Foundation
import SMPP
import SQLKit

/// Messages handsets send to the resource's numbers, and the keywords among them.
extension SMSService {
    typealias Keyword = MessagingKeyword

    /// A message from a handset to one of the resource's numbers: recorded (metadata), the application told
    /// (`SMSReceived`, keywords included, as ACS relays them), the conversation window opened, and a keyword acted
    /// on and answered. Returns the message id.
    @discardableResult
    public func receive(_ inbound: SMSInbound, in resource: ResourceHandle, serverURL: String, keepingSandboxCopy: Bool = false) async throws
        -> String
    {
        guard let from = MessagingAddress.phoneNumber(inbound.from), let to = MessagingAddress.phoneNumber(inbound.to) else {
            throw SMSError.invalid("Inbound messages go between E.164 numbers.", target: "from")
        }
        let id = Self.messageID(outbound: false, at: clock.now)
        let plan = SMSEncoding.plan(inbound.text)
        try await changes.run(in: resource) { tx in
            try await SMSStore.insert(
                .init(
                    id: id, direction: .inbound, sender: to, recipient: from, segments: inbound.segments, encoding: plan.encoding.rawValue,
                    status: .received, statusDetails: nil, deliveryReport: false, tag: nil, reportTimeoutSeconds: 0, carrier: inbound.carrier,
                    segmentsSucceeded: inbound.segments, segmentsFailed: 0, createdAt: tx.now, submittedAt: nil, finishedAt: tx.now),
                resource: resource, in: tx.db)
            if keepingSandboxCopy {
                try await SandboxInbox.insert(
                    .init(
                        id: UUID().uuidString.lowercased(), messageID: id, direction: .inbound, sender: to, handset: from, body: inbound.text,
                        segments: inbound.segments, at: tx.now), resource: resource, in: tx.db)
            }
            try await policy.recordInbound(from: from, to: to, channel: .sms, in: tx)
            var data = SMSEventData(messageId: id, from: from, to: to, receivedTimestamp: tx.now.date)
            data.message = inbound.text
            data.segmentCount = inbound.segments
            _ = try await events.append(
                [
                    NewEvent(
                        type: SMSEventType.received.rawValue, payload: data, recipients: [],
                        correlation: Correlation(scope: "sms:\(id)", item: "received"), subject: .phoneNumber(from))
                ], in: tx)
        }
        if let keyword = Keyword(inbound.text) {
            try await act(on: keyword, text: inbound.text, from: from, to: to, in: resource, serverURL: serverURL)
        }
        return id
    }

    /// Acts on a keyword for the number's program and answers once.
    func act(on keyword: Keyword, text: String, from handset: String, to number: String, in resource: ResourceHandle, serverURL: String)
        async throws
    {
        let sender = MessagingSender(parsing: number)
        let programID = try await resource.store.read { db in
            try await sender.asyncMap { try await PolicyStore.programID(ofSender: $0, resource: resource, in: db) }
        }
        let program = try? await policy.program(programID ?? MessagingProgram.defaultID, in: resource)
        let name = program?.name ?? resource.name
        let reply: String
        switch keyword {
        case .stop:
            // An opt-out of the program on every one of its numbers, recorded as evidence.
            try await policy.recordOptOut(
                .init(recipient: handset, channel: .sms, programID: programID ?? MessagingProgram.defaultID, source: "keyword"), in: resource)
            reply = "\(name): You are unsubscribed and will receive no more messages. Reply START to resubscribe."
        case .yes:
            if try await policy.confirm(recipient: handset, channel: .sms, sender: number, in: resource) != nil {
                reply = "\(name): Thank you, your subscription is confirmed. Reply HELP for help, STOP to cancel."
            } else {
                _ = try await policy.resume(
                    recipient: handset, channel: .sms, sender: number, keyword: text.trimmingCharacters(in: .whitespacesAndNewlines),
                    in: resource, serverURL: serverURL)
                reply = "\(name): You are subscribed. Reply HELP for help, STOP to cancel."
            }
        case .start:
            _ = try await policy.resume(
                recipient: handset, channel: .sms, sender: number, keyword: text.trimmingCharacters(in: .whitespacesAndNewlines),
                in: resource, serverURL: serverURL)
            reply = "\(name): You are resubscribed. Reply HELP for help, STOP to cancel."
        case .help:
            reply = "\(name): \(program?.helpText ?? "Reply STOP to unsubscribe.") Reply STOP to cancel."
        }
        try await sendReply(from: number, to: handset, text: reply, in: resource)
    }

    /// A message Switchboard sends itself on the program's behalf (a keyword's answer, a double opt-in
    /// confirmation): through the carrier like any other, without a delivery report. It passes no gate: the
    /// messaging policy asks for exactly these messages, the one confirmation after STOP included.
    func sendReply(from number: String, to handset: String, text: String, in resource: ResourceHandle) async throws {
        guard let sender = MessagingSender(parsing: number), sender.channel == .sms else { return }
        let carrier = try await carriers.route(from: sender, in: resource)
        let plan = SMSEncoding.plan(text)
        try await changes.run(in: resource) { tx in
            try await enqueue(
                id: Self.messageID(outbound: true, at: tx.now), from: number, to: handset, text: text, plan: plan, carrier: carrier,
                deliveryReport: false,
                tag: nil, timeout: configuration.defaultReportTimeout, in: tx)
        }
    }
}

/// What carriers hand back, routed to the resource it belongs to: a receipt by the carrier's message id (looked up
/// in the stores), an inbound message by the number it was sent to (the inventory knows its holder).
extension SMSService: SMSTrafficSink {
    public func receipts(_ receipts: [SMSReceipt]) async throws -> [Bool] {
        var found = [Bool](repeating: false, count: receipts.count)
        // Each store is asked once for the whole batch; the receipts of a resource are recorded in one transaction.
        for store in await stores.openStores().values where found.contains(false) {
            let wanted = receipts.enumerated().filter { !found[$0.offset] }
            var byCarrier: [String: [Int]] = [:]
            for (index, receipt) in wanted { byCarrier[receipt.carrier, default: []].append(index) }
            var byResource: [String: [Int]] = [:]
            var messageOf: [String: String] = [:]
            for (carrier, indexes) in byCarrier {
                let matches = try await store.read { db in
                    try await SMSStore.carrierMatches(carrier: carrier, ids: indexes.map { receipts[$0].carrierMessageID }, in: db)
                }
                for index in indexes {
                    guard let match = matches[receipts[index].carrierMessageID] else { continue }
                    byResource[match.resourceID, default: []].append(index)
                    messageOf[Self.receiptKey(carrier, receipts[index].carrierMessageID)] = match.messageID
                }
            }
            for (resourceID, indexes) in byResource {
                for index in indexes { found[index] = true }
                // A receipt for a message of a deleted resource: acknowledged and forgotten.
                guard let id = UUID(uuidString: resourceID), let resource = try await resources.handle(id: id) else { continue }
                try await self.receipts(indexes.map { receipts[$0] }, in: resource, matched: messageOf)
            }
        }
        return found
    }

    public func inbound(_ message: SMSInbound) async throws {
        // A message to a number no resource holds is acknowledged and dropped: nobody could be told of it.
        guard let to = MessagingAddress.phoneNumber(message.to), let holder = try await inventory.holder(of: to),
            let id = UUID(uuidString: holder), let resource = try await resources.handle(id: id)
        else { return }
        _ = try await receive(message, in: resource, serverURL: serverURL)
    }
}
