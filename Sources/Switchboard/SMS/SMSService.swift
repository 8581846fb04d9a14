import Foundation
import SMPP
import SQLKit

/// One recipient's result of a send, as ACS answers it.
public struct SMSSendResult: Sendable, Codable, Equatable {
    public var to: String
    public var messageId: String?
    public var httpStatusCode: Int
    public var repeatabilityResult: String?
    public var successful: Bool
    public var errorMessage: String?
}

/// SMS for a resource: sending through the policy gate and the outbox to a carrier, the carriers' receipts, inbound
/// messages with their keywords, opt-out management and alphanumeric sender ids.
public struct SMSService: Sendable {
    let changes: Changes
    let events: EventLog
    let policy: PolicyService
    let inventory: NumberInventory
    let resources: ResourceRegistry
    let carriers: SMSCarriers
    let configuration: SMSConfiguration
    let clock: any WallClock
    /// Where carriers' receipts find their message.
    let stores: StoreRegistry
    /// The server's address, for the links of consent confirmations a keyword causes.
    let serverURL: String
    /// Each sender's pace at the carrier.
    let pace: SMSPace

    /// ACS: 1–100 recipients per request, a message of at most 2,048 characters.
    public static let recipientLimit = 1...100
    public static let messageLimit = 2048
    /// `deliveryReportTimeoutInSeconds` (api-version 2025-09-17).
    public static let reportTimeoutRange = 60...43_200

    /// The outbox kinds SMS queues.
    static let submitKind = "sms.submit"
    static let timeoutKind = "sms.receiptTimeout"
    static let sandboxReceiptKind = "sms.sandboxReceipt"

    public struct Recipient: Sendable {
        public var to: String
        public var repeatabilityRequestID: String?

        public init(to: String, repeatabilityRequestID: String? = nil) {
            self.to = to
            self.repeatabilityRequestID = repeatabilityRequestID
        }
    }

    public struct SendRequest: Sendable {
        public var from: String
        public var recipients: [Recipient]
        public var message: String
        public var deliveryReport: Bool
        public var tag: String?
        public var reportTimeoutSeconds: Int?

        public init(
            from: String, recipients: [Recipient], message: String, deliveryReport: Bool = false, tag: String? = nil,
            reportTimeoutSeconds: Int? = nil
        ) {
            self.from = from
            self.recipients = recipients
            self.message = message
            self.deliveryReport = deliveryReport
            self.tag = tag
            self.reportTimeoutSeconds = reportTimeoutSeconds
        }
    }

    /// What a submission row carries to the carrier; sealed, and erased with the row once the carrier accepted it.
    struct SubmitPayload: Codable, Sendable {
        let from: String
        let to: String
        let text: String
        let segments: Int
    }

    // MARK: Sending

    /// Sends to every recipient the gate allows, each its own message; one result per recipient, in order.
    public func send(_ request: SendRequest, in resource: ResourceHandle) async throws -> [SMSSendResult] {
        guard Self.recipientLimit.contains(request.recipients.count) else {
            throw SMSError.invalid("A message goes to between 1 and 100 recipients.", target: "smsRecipients")
        }
        guard !request.message.isEmpty else { throw SMSError.invalid("The message is empty.", target: "message") }
        guard request.message.count <= Self.messageLimit else { throw SMSError.messageTooLong(limit: Self.messageLimit) }
        guard let sender = MessagingSender(parsing: request.from), sender.channel == .sms else {
            throw SMSError.invalid("from must be an E.164 phone number or an alphanumeric sender id.", target: "from")
        }
        if let seconds = request.reportTimeoutSeconds, !Self.reportTimeoutRange.contains(seconds) {
            throw SMSError.invalid("deliveryReportTimeoutInSeconds must be between 60 and 43200.", target: "deliveryReportTimeoutInSeconds")
        }
        for recipient in request.recipients {
            if let id = recipient.repeatabilityRequestID, id.isEmpty || id.count > 128 {
                throw SMSError.invalid("repeatabilityRequestId must be 1-128 characters.", target: "repeatabilityRequestId")
            }
        }
        let route = try await carriers.route(from: sender, in: resource)
        let countries: Set<String>? =
            sender.kind == .alphanumeric
            ? try await resource.store.read { db in try await SMSStore.alphanumericSender(sender.value, resource: resource, in: db) }
                .map { Set($0.countries) } : nil
        let plan = SMSEncoding.plan(request.message)
        let timeout = request.reportTimeoutSeconds.map { Duration.seconds($0) } ?? configuration.defaultReportTimeout
        let backlog = Self.backlogLimit(of: sender.value, configuration.pacing)
        return try await changes.run(in: resource) { tx in
            // Past ten minutes of the sender's pace already waiting, a send is refused rather than queued ever longer.
            let queued = try await SMSStore.queuedCount(from: sender.value, resource: resource, in: tx.db)
            if queued + request.recipients.count > backlog {
                let rate = configuration.pacing.rate(of: sender.value)
                throw APIError.tooManyRequests(
                    retryAfterSeconds: max(1, (queued + request.recipients.count - backlog) * 60 / rate + 1),
                    "\(queued) messages from \(sender.value) are waiting for the carrier (its pace is \(rate) a minute); try again later.")
            }
            let repeated = try await SMSStore.repeated(request.recipients.compactMap(\.repeatabilityRequestID), resource: resource, in: tx.db)
            var results = [SMSSendResult?](repeating: nil, count: request.recipients.count)
            var pending: [(index: Int, number: String)] = []
            // A request id seen earlier in the same request: that recipient is a replay of the earlier one.
            var firstWithID: [String: Int] = [:]
            var replays: [(index: Int, of: Int)] = []
            for (index, recipient) in request.recipients.enumerated() {
                if let id = recipient.repeatabilityRequestID {
                    if var first = repeated[id] {
                        // A replay: the first result, and nothing is sent again.
                        first.repeatabilityResult = "rejected"
                        results[index] = first
                        continue
                    }
                    if let first = firstWithID[id] {
                        replays.append((index, first))
                        continue
                    }
                    firstWithID[id] = index
                }
                if let number = MessagingAddress.phoneNumber(recipient.to) {
                    if let countries, !countries.contains(CallingCodes.country(of: number) ?? "") {
                        results[index] = Self.refusal(
                            to: number, status: 400,
                            "AlphanumericSenderNotAllowed: the sender id \(sender.value) is not registered for the recipient's country.")
                    } else {
                        pending.append((index, number))
                    }
                } else {
                    results[index] = Self.refusal(to: recipient.to, status: 400, "InvalidRecipient: the To phone number is not E.164.")
                }
            }
            if !pending.isEmpty {
                let decisions = try await policy.decide(
                    PolicyMessage(channel: .sms, from: sender.value, to: pending.map(\.number), text: request.message), operation: nil, in: tx)
                var outgoing: [Outgoing] = []
                for ((index, number), decision) in zip(pending, decisions) {
                    guard decision.allowed else {
                        let status = decision.code == .senderNotAuthorized ? 401 : 403
                        results[index] = Self.refusal(to: number, status: status, "\(decision.code?.rawValue ?? "Refused"): \(decision.reason)")
                        continue
                    }
                    let id = Self.messageID(outbound: true, at: tx.now)
                    outgoing.append(
                        try self.outgoing(
                            id: id, from: sender.value, to: number, text: request.message, plan: plan, carrier: route,
                            deliveryReport: request.deliveryReport, tag: request.tag, timeout: timeout, now: tx.now))
                    results[index] = SMSSendResult(to: number, messageId: id, httpStatusCode: 202, successful: true)
                }
                try await enqueue(outgoing, in: tx)
            }
            for (id, index) in firstWithID {
                guard var result = results[index] else { continue }
                result.repeatabilityResult = "accepted"
                results[index] = result
                try await SMSStore.remember(result, requestID: id, resource: resource, now: tx.now, in: tx.db)
            }
            for (index, first) in replays {
                results[index] = results[first].map { first in
                    var replay = first
                    replay.repeatabilityResult = "rejected"
                    return replay
                }
            }
            // Every recipient has a result by now; the fallback only keeps a mistake from becoming a crash.
            return zip(results, request.recipients).map { result, recipient in
                result ?? Self.refusal(to: recipient.to, status: 500, "InternalError: the recipient was not processed.")
            }
        }
    }

    static func backlogLimit(of sender: String, _ pacing: SMSPacing) -> Int {
        pacing.rate(of: sender) * SMSPacing.backlogMinutes
    }

    static func refusal(to: String, status: Int, _ message: String) -> SMSSendResult {
        SMSSendResult(to: to, messageId: nil, httpStatusCode: status, successful: false, errorMessage: message)
    }

    /// Message ids as ACS makes them: `Outgoing_` or `Incoming_`, the time (UTC, `yyyyMMddHHmmss`), a random UUID and
    /// `_noam` (`Outgoing_20230118181300ff00e5c9-876d-4958-86e3-4637484fe5bd_noam`). Leading with the time keeps the
    /// ids of one moment together in the indexes they are keys of, so a burst of sends writes a few index pages, not
    /// one per message.
    static func messageID(outbound: Bool, at time: Timestamp) -> String {
        let random = UUID().uuidString.lowercased()
        return "\(outbound ? "Outgoing" : "Incoming")_\(compactUTC(time))\(random)_noam"
    }

    /// `yyyyMMddHHmmss` in UTC: the digits of the wire's date-time up to its seconds.
    static func compactUTC(_ time: Timestamp) -> String {
        String(APIDate.format(time.date).prefix(19).filter(\.isASCIIDigit))
    }

    /// An outgoing message and the outbox rows that carry it: its submission and the deadline for its receipt.
    struct Outgoing {
        let message: SMSStore.Message
        let rows: [NewOutboxItem]
    }

    func outgoing(
        id: String, from: String, to: String, text: String, plan: SMSPlan, carrier: String, deliveryReport: Bool, tag: String?,
        timeout: Duration, now: Timestamp
    ) throws -> Outgoing {
        let message = SMSStore.Message(
            id: id, direction: .outbound, sender: from, recipient: to, segments: plan.segmentCount, encoding: plan.encoding.rawValue,
            status: .queued, statusDetails: nil, deliveryReport: deliveryReport, tag: tag, reportTimeoutSeconds: Int(timeout.components.seconds),
            carrier: carrier, segmentsSucceeded: 0, segmentsFailed: 0, createdAt: now, submittedAt: nil, finishedAt: nil)
        let deadline = now.adding(timeout)
        let payload = try JSONBody.encoder.encode(SubmitPayload(from: from, to: to, text: text, segments: plan.segmentCount))
        return Outgoing(
            message: message,
            rows: [
                NewOutboxItem(
                    kind: Self.submitKind, target: carrier, deliveryID: id, subject: .phoneNumber(to),
                    correlation: Correlation(scope: "sms:\(id)", item: "submit"), payload: payload, maxAttempts: 1000, expiresAt: deadline),
                NewOutboxItem(
                    kind: Self.timeoutKind, target: "sms", deliveryID: id, subject: .phoneNumber(to),
                    correlation: Correlation(scope: "sms:\(id)", item: "timeout"), maxAttempts: 100, expiresAt: deadline.adding(seconds: 86_400),
                    notBefore: deadline),
            ])
    }

    /// Records outgoing messages and queues their rows in `tx`, all in a few statements.
    func enqueue(_ outgoing: [Outgoing], in tx: Transaction) async throws {
        guard !outgoing.isEmpty else { return }
        try await SMSStore.insert(outgoing.map(\.message), resource: tx.resource, in: tx.db)
        try await Outbox.enqueue(outgoing.flatMap(\.rows), in: tx)
    }

    /// Records one outgoing message and queues it (a keyword's answer, a confirmation).
    func enqueue(
        id: String, from: String, to: String, text: String, plan: SMSPlan, carrier: String, deliveryReport: Bool, tag: String?,
        timeout: Duration, in tx: Transaction
    ) async throws {
        try await enqueue(
            [
                try outgoing(
                    id: id, from: from, to: to, text: text, plan: plan, carrier: carrier, deliveryReport: deliveryReport, tag: tag,
                    timeout: timeout, now: tx.now)
            ], in: tx)
    }

    // MARK: What carriers report

    /// The carrier accepted messages: their ids, for the receipts to come, recorded for a whole batch at once (a
    /// message that ended meanwhile, by its deadline, stays ended).
    func submitted(_ accepted: [(messageID: String, ids: [String])], carrier: String, in resource: ResourceHandle) async throws {
        try await changes.run(in: resource) { tx in
            try await submitted(accepted, carrier: carrier, resource: resource, now: tx.now, in: tx.db)
        }
    }

    /// The same in a transaction of the caller's (the outbox worker's, which records the batch's outcomes in it).
    func submitted(
        _ accepted: [(messageID: String, ids: [String])], carrier: String, resource: ResourceHandle, now: Timestamp, in db: any SQLDatabase
    ) async throws {
        guard !accepted.isEmpty else { return }
        try await db.update("sms_messages").set("status", to: SMSStore.Message.Status.sent.rawValue).set("carrier", to: carrier)
            .set("submitted_at", to: now.milliseconds).where("resource_id", .equal, resource.storageID)
            .where("id", .in, accepted.map(\.messageID)).where("status", .equal, SMSStore.Message.Status.queued.rawValue).run()
        try await SMSStore.recordCarrierIDs(
            accepted.flatMap { message in message.ids.map { (message.messageID, $0) } }, carrier: carrier, resource: resource, now: now, in: db)
    }

    /// The carrier refused a message for good, or it could not be submitted before its deadline.
    func failed(_ messageID: String, status: SMSStore.Message.Status = .failed, details: String, in resource: ResourceHandle) async throws {
        try await changes.run(in: resource) { tx in
            guard var message = try await SMSStore.message(messageID, resource: resource, in: tx.db), !message.status.isFinal else { return }
            message.status = status
            message.statusDetails = details
            message.segmentsFailed = message.segments - message.segmentsSucceeded
            try await finish(&message, in: tx)
        }
    }

    /// A receipt for one segment of a message the carrier accepted: the message is final once every segment has
    /// one (delivered when all were).
    public func receipt(_ receipt: SMSReceipt, in resource: ResourceHandle) async throws {
        try await receipts([receipt], in: resource)
    }

    /// Receipts of one resource's messages, recorded together: the messages they name are read at once, counted,
    /// and those now final reported in one append.
    ///
    /// `matched` gives the message of each receipt (`carrier|id`) when the caller already looked it up (a carrier's
    /// id names one message for good, so a lookup outside the transaction stays true); otherwise it is looked up here.
    func receipts(_ receipts: [SMSReceipt], in resource: ResourceHandle, matched: [String: String]? = nil) async throws {
        guard !receipts.isEmpty else { return }
        try await changes.run(in: resource) { tx in
            var messageOf = matched ?? [:]
            if matched == nil {
                for (carrier, group) in Dictionary(grouping: receipts, by: \.carrier) {
                    for (id, match) in try await SMSStore.carrierMatches(carrier: carrier, ids: group.map(\.carrierMessageID), in: tx.db)
                    where match.resourceID == resource.storageID {
                        messageOf[Self.receiptKey(carrier, id)] = match.messageID
                    }
                }
            }
            var messages = Dictionary(
                uniqueKeysWithValues: try await SMSStore.messages(Array(Set(messageOf.values)), resource: resource, in: tx.db).map { ($0.id, $0) })
            var finished: [(message: SMSStore.Message, at: Timestamp)] = []
            var changed = Set<String>()
            for receipt in receipts {
                guard let id = messageOf[Self.receiptKey(receipt.carrier, receipt.carrierMessageID)], var message = messages[id],
                    !message.status.isFinal
                else { continue }
                if receipt.status == .delivered { message.segmentsSucceeded += 1 } else { message.segmentsFailed += 1 }
                if receipt.status != .delivered { message.statusDetails = receipt.details ?? receipt.status.rawValue }
                if message.segmentsSucceeded + message.segmentsFailed >= message.segments {
                    message.status = message.segmentsFailed == 0 ? .delivered : receipt.status == .expired ? .expired : .failed
                    message.finishedAt = tx.now
                    finished.append((message, receipt.at))
                }
                messages[id] = message
                changed.insert(id)
            }
            try await SMSStore.update(changed.sorted().compactMap { messages[$0] }, resource: resource, in: tx.db)
            try await finish(finished, in: tx)
        }
    }

    static func receiptKey(_ carrier: String, _ id: String) -> String { "\(carrier)|\(id)" }

    /// The deadline for a message's receipt passed.
    func expire(_ messageID: String, in resource: ResourceHandle) async throws {
        try await failed(messageID, status: .expired, details: "No delivery report arrived within the report timeout.", in: resource)
    }

    /// Ends a message: its final status, the report the application asked for, and the deadline withdrawn.
    func finish(_ message: inout SMSStore.Message, at: Timestamp? = nil, in tx: Transaction) async throws {
        message.finishedAt = tx.now
        try await SMSStore.update(message, resource: tx.resource, in: tx.db)
        try await finish([(message, at ?? tx.now)], in: tx)
    }

    /// Reports of messages that just ended (already updated), and their deadlines withdrawn, in a few statements.
    func finish(_ ended: [(message: SMSStore.Message, at: Timestamp)], in tx: Transaction) async throws {
        guard !ended.isEmpty else { return }
        try await Outbox.withdraw(scopes: ended.map { "sms:\($0.message.id)" }, items: ["timeout", "submit"], resource: tx.resource, in: tx.db)
        let reports = ended.compactMap { message, at -> NewEvent? in
            guard message.deliveryReport, let recipient = message.recipient else { return nil }
            var data = SMSEventData(messageId: message.id, from: message.sender, to: recipient, receivedTimestamp: tx.now.date)
            data.deliveryStatus = message.status == .delivered ? "Delivered" : "Failed"
            data.deliveryStatusDetails = message.status == .delivered ? "No error." : message.statusDetails
            data.deliveryAttempts = [.init(timestamp: at.date, segmentsSucceeded: message.segmentsSucceeded, segmentsFailed: message.segmentsFailed)]
            data.tag = message.tag
            return NewEvent(
                type: SMSEventType.deliveryReport.rawValue, payload: data, recipients: [],
                correlation: Correlation(scope: "sms:\(message.id)", item: "report"), subject: .phoneNumber(recipient))
        }
        _ = try await events.append(reports, in: tx)
    }

    /// The message's metadata, for the sandbox and tests.
    func message(_ id: String, in resource: ResourceHandle) async throws -> SMSStore.Message? {
        try await resource.store.read { db in try await SMSStore.message(id, resource: resource, in: db) }
    }
}
