import Foundation
import Mail
import SQLKit
import _CryptoExtras

/// Delivery: each recipient's copy rendered and DKIM-signed when it goes out, the carriers' outcomes recorded with
/// their reports, the hard-bounce lease, and the content erased once every recipient reached a final state.
extension EmailService {
    /// A recipient's copy, ready for its carrier, or why there is none.
    enum Prepared {
        case envelope(EmailEnvelope)
        /// Nothing to send any more (the recipient already ended, the content is gone).
        case gone
    }

    /// Renders and signs the copies of `items` (rows of one lane of one resource).
    func prepare(_ items: [OutboxItem], resource: ResourceHandle) async throws -> [Prepared] {
        let payloads = items.map { $0.payload.flatMap { try? JSONBody.decoder.decode(DeliverPayload.self, from: $0) } }
        let operations = Set(payloads.compactMap { $0?.operationId })
        struct Loaded {
            let content: EmailContent
            /// The addresses parsed once for every copy of the operation in the batch (each copy's To and Cc name them
            /// all: 50 recipients are 50 copies of 50 addresses).
            let addresses: EmailAddresses
            let recipients: [Int: EmailStore.Recipient]
            let domain: EmailStore.Domain
            let key: EmailStore.DKIMKey
            /// The key parsed once for every copy of the operation in the batch.
            let signingKey: _RSA.Signing.PrivateKey
        }
        // Four statements for the whole batch, however many operations its copies belong to: their contents and
        // recipients, and the domain and keys of each sending domain (one, as a rule).
        let loaded: [String: Loaded] = try await resource.store.read { db in
            let ids = operations.sorted()
            let contents = try await EmailStore.contents(operations: ids, resource: resource, in: db)
            let recipients = try await EmailStore.recipients(operations: ids, resource: resource, in: db)
            var signers: [String: (domain: EmailStore.Domain, key: EmailStore.DKIMKey, signingKey: _RSA.Signing.PrivateKey)?] = [:]
            var loaded: [String: Loaded] = [:]
            for id in ids {
                guard let content = contents[id] else { continue }
                let domainName = content.sender.address.split(separator: "@").last.map(String.init) ?? ""
                if signers[domainName] == nil {
                    var signer: (domain: EmailStore.Domain, key: EmailStore.DKIMKey, signingKey: _RSA.Signing.PrivateKey)?
                    if let domain = try await EmailStore.domain(domainName, resource: resource, in: db),
                        let key = signingKey(
                            try await EmailStore.dkimKeys(domain: domainName, resource: resource, in: db), verification: domain.verification,
                            sandbox: domain.kind == .sandbox)
                    {
                        signer = (domain, key, try signingKeys.key(key.privateKey))
                    }
                    signers[domainName] = .some(signer)
                }
                guard let signer = signers[domainName] ?? nil else { continue }
                loaded[id] = Loaded(
                    content: content, addresses: try EmailAddresses(content),
                    recipients: Dictionary(uniqueKeysWithValues: (recipients[id] ?? []).map { ($0.seq, $0) }),
                    domain: signer.domain,
                    key: signer.key, signingKey: signer.signingKey)
            }
            return loaded
        }
        var prepared: [Prepared] = []
        for (item, payload) in zip(items, payloads) {
            guard let payload, let operation = loaded[payload.operationId], let recipient = operation.recipients[payload.seq],
                !recipient.status.isFinal
            else {
                prepared.append(.gone)
                continue
            }
            prepared.append(
                .envelope(
                    try render(
                        operation.content, addresses: operation.addresses, recipient: recipient, domain: operation.domain,
                        signingKey: operation.signingKey, selector: operation.key.selector, resource: resource,
                        previousAttempts: item.previousAttempts)))
        }
        return prepared
    }

    /// The addresses of a message's header, parsed from its content. An address that does not parse (the API refused
    /// such sends; none is stored) is left out of the header rather than failing every copy.
    struct EmailAddresses {
        let sender: MailAddress
        let to: [MailAddress]
        let cc: [MailAddress]
        let replyTo: [MailAddress]

        init(_ content: EmailContent) throws {
            func addresses(_ values: [EmailAddressValue]) -> [MailAddress] {
                values.compactMap { try? MailAddress($0.address, displayName: $0.displayName) }
            }
            sender = try MailAddress(content.sender.address, displayName: content.sender.displayName)
            to = addresses(content.to)
            cc = addresses(content.cc)
            replyTo = addresses(content.replyTo)
        }
    }

    /// One recipient's copy: the message with its own unsubscribe link, signed with the domain's key.
    func render(
        _ content: EmailContent, addresses: EmailAddresses, recipient: EmailStore.Recipient, domain: EmailStore.Domain,
        signingKey: _RSA.Signing.PrivateKey, selector: String, resource: ResourceHandle, previousAttempts: Int
    ) throws -> EmailEnvelope {
        let now = clock.now.date
        let token = try EmailUnsubscribe.token(program: content.programID, recipient: recipient.address, resource: resource)
        let unsubscribe = "\(content.linkBase)/-/unsubscribe/\(token)"
        let verp = EmailBounceAddress.address(resource: resource.id, token: recipient.bounceToken, domain: domain.domain)
        var headers: [(name: String, value: String)] = content.headers.compactMap { $0.count == 2 ? (name: $0[0], value: $0[1]) : nil }
        headers.append((name: "List-Unsubscribe", value: "<\(unsubscribe)>, <mailto:\(verp)?subject=unsubscribe>"))
        headers.append((name: "List-Unsubscribe-Post", value: "List-Unsubscribe=One-Click"))
        let messageID = MailMessage.makeMessageID(domain: domain.domain)
        let message = MailMessage(
            from: addresses.sender, to: addresses.to, cc: addresses.cc, replyTo: addresses.replyTo, subject: content.subject,
            date: now, messageID: messageID, plainText: content.plainText,
            html: try content.html.map { html in
                content.trackingDisabled
                    ? html
                    : try EmailTracking.instrument(
                        html, operation: recipient.operationID, seq: recipient.seq, linkBase: content.linkBase, resource: resource)
            },
            attachments: content.attachments.map {
                MailAttachment(name: $0.name, contentType: $0.contentType, data: Array($0.data), contentID: $0.contentId)
            },
            headers: headers)
        let signer = DKIMSigner(domain: domain.domain, selector: selector, privateKey: signingKey)
        let signed = try signer.sign(message.render(), timestamp: now)
        let address = try MailAddress(recipient.address)
        return EmailEnvelope(
            resource: resource, operationID: recipient.operationID, seq: recipient.seq, mailFrom: verp, recipient: recipient.address,
            message: signed, internetMessageID: "<\(messageID)>", requiresSMTPUTF8: address.requiresSMTPUTF8, previousAttempts: previousAttempts)
    }

    /// Records what carriers reported for copies of one resource: each recipient's status (a report once final), a
    /// lease for each hard bounce, and each operation's progress. The batch's operations and recipients are read in one
    /// statement each and its recipients' outcomes written in one, however many operations its copies belong to.
    func record(_ outcomes: [(envelope: EmailEnvelope, outcome: EmailDeliveryOutcome)], in resource: ResourceHandle) async throws {
        guard !outcomes.isEmpty else { return }
        var order: [String] = []
        var byOperation: [String: [(envelope: EmailEnvelope, outcome: EmailDeliveryOutcome)]] = [:]
        for entry in outcomes {
            if byOperation[entry.envelope.operationID] == nil { order.append(entry.envelope.operationID) }
            byOperation[entry.envelope.operationID, default: []].append(entry)
        }
        try await changes.run(in: resource) { [order, byOperation] tx in
            var reports: [NewEvent] = []
            let operations = try await EmailStore.operations(order, resource: resource, in: tx.db)
            let recipientsByOperation = try await EmailStore.recipients(operations: order, resource: resource, in: tx.db)
            var updated: [EmailStore.Recipient] = []
            var moved: [(operation: EmailStore.Operation, recipients: [EmailStore.Recipient])] = []
            for id in order {
                guard let operation = operations[id] else { continue }
                var recipients = recipientsByOperation[id] ?? []
                let position = Dictionary(uniqueKeysWithValues: recipients.enumerated().map { ($1.seq, $0) })
                var changed = false
                for (envelope, outcome) in byOperation[id] ?? [] {
                    guard let index = position[envelope.seq], !recipients[index].status.isFinal else { continue }
                    var recipient = recipients[index]
                    recipient.attempts += 1
                    recipient.updatedAt = tx.now
                    recipient.internetMessageID = envelope.internetMessageID
                    switch outcome {
                    case .delivered(let server, let reply):
                        recipient.status = .delivered
                        recipient.mailServer = server
                        recipient.statusDetails = reply
                    case .deferred(let server, let reason):
                        recipient.status = .deferred
                        recipient.mailServer = server ?? recipient.mailServer
                        recipient.statusDetails = reason
                    case .bounced(let server, let reply):
                        recipient.status = .bounced
                        recipient.mailServer = server ?? recipient.mailServer
                        recipient.statusDetails = reply
                        try await EmailStore.recordHardBounce(recipient.address, now: tx.now, resource: resource, in: tx.db)
                    case .failed(let reason):
                        recipient.status = .failed
                        recipient.statusDetails = reason
                    }
                    if recipient.status.isFinal {
                        recipient.finishedAt = tx.now
                        reports.append(report(recipient, sender: operation.sender, at: tx.now))
                    }
                    updated.append(recipient)
                    recipients[index] = recipient
                    changed = true
                }
                if changed { moved.append((operation, recipients)) }
            }
            // Every copy's outcome in one statement, then the operations moved on together.
            try await EmailStore.update(updated, resource: resource, in: tx.db)
            try await progress(moved, in: tx)
            _ = try await events.append(reports, in: tx)
        }
    }

    /// Moves an operation on: `Succeeded` once every recipient was attempted (delivery goes on being reported by
    /// events); its content erased and its deadline withdrawn once every recipient reached a final state.
    func progress(_ id: String, in tx: Transaction) async throws {
        guard let operation = try await EmailStore.operation(id, resource: tx.resource, in: tx.db) else { return }
        try await progress([(operation, try await EmailStore.recipients(operation: id, resource: tx.resource, in: tx.db))], in: tx)
    }

    /// Moves several operations on with a fixed number of statements: the ones that succeeded are marked in one, the
    /// finished ones' content erased in one and their deadlines withdrawn in one (an operation that failed outright
    /// keeps its own error message, in a statement of its own).
    func progress(_ moved: [(operation: EmailStore.Operation, recipients: [EmailStore.Recipient])], in tx: Transaction) async throws {
        var succeeded: [String] = []
        var finished: [String] = []
        for (operation, recipients) in moved {
            if !operation.status.isFinal, !recipients.contains(where: { $0.status == .queued }) {
                if recipients.allSatisfy({ $0.status == .failed }) {
                    try await EmailStore.setStatus(
                        .failed, error: (code: "DeliveryFailed", message: recipients.first?.statusDetails ?? "No recipient could be sent to."),
                        operations: [operation.id], now: tx.now, resource: tx.resource, in: tx.db)
                } else {
                    succeeded.append(operation.id)
                }
            }
            if recipients.allSatisfy({ $0.status.isFinal }) { finished.append(operation.id) }
        }
        try await EmailStore.setStatus(.succeeded, operations: succeeded, now: tx.now, resource: tx.resource, in: tx.db)
        try await EmailStore.deleteContent(operations: finished, resource: tx.resource, in: tx.db)
        try await Outbox.withdraw(scopes: finished.map { "email:\($0)" }, items: ["expire"], resource: tx.resource, in: tx.db)
    }

    /// The retry window ended: recipients still waiting failed, and the content goes.
    func expire(_ id: String, in resource: ResourceHandle) async throws {
        try await changes.run(in: resource) { tx in
            guard let operation = try await EmailStore.operation(id, resource: resource, in: tx.db) else { return }
            var reports: [NewEvent] = []
            for var recipient in try await EmailStore.recipients(operation: id, resource: resource, in: tx.db) where !recipient.status.isFinal {
                recipient.status = .failed
                recipient.statusDetails =
                    "Not delivered within \(configuration.retryWindow.components.seconds / 3600) hours: \(recipient.statusDetails ?? "no attempt succeeded")"
                recipient.updatedAt = tx.now
                recipient.finishedAt = tx.now
                try await EmailStore.update(recipient, resource: resource, in: tx.db)
                // Its delivery row (not the webhook deliveries of reports already sent, which share the scope).
                try await Outbox.withdraw(correlatedWith: Correlation(scope: "email:\(id)", item: "\(recipient.seq)"), resource: resource, in: tx.db)
                reports.append(report(recipient, sender: operation.sender, at: tx.now))
            }
            try await progress(id, in: tx)
            _ = try await events.append(reports, in: tx)
        }
    }
}
