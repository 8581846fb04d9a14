import Foundation
import Mail
import SQLKit

/// What comes back to a copy's envelope sender (``EmailBounceAddress``): delivery status notifications (RFC 3464),
/// which end a recipient as Bounced — also after a receiving server first took the message, as most bounces arrive —
/// and the mails of List-Unsubscribe's `mailto:`, which record the recipient's opt-out.
extension EmailService {
    /// The recipient a bounce address names: its resource and the recipient's row, or `nil` for an address this
    /// server did not hand out (or whose send is no longer kept).
    func bounceTarget(_ address: String) async throws -> (ResourceHandle, EmailStore.Recipient)? {
        guard let (id, token) = EmailBounceAddress.parse(address), let resource = try await resources.handle(id: id) else { return nil }
        guard let recipient = try await resource.store.read({ db in try await EmailStore.recipient(bounceToken: token, resource: resource, in: db) })
        else { return nil }
        return (resource, recipient)
    }

    /// A delivery status notification about the copy sent to `address`'s recipient. A failure (`Action: failed`)
    /// makes it Bounced with the reporting server's status and diagnostic, reports it again, and a permanent one
    /// (`5.x.x`) starts the hard-bounce lease; delays and successes change nothing.
    ///
    /// - Returns: whether the recipient's delivery changed.
    @discardableResult
    func recordNotification(_ notification: DeliveryStatusNotification, to address: String) async throws -> Bool {
        guard let (resource, found) = try await bounceTarget(address) else { return false }
        let entries = notification.recipients.filter { $0.action == .failed }
        let entry =
            entries.first { Self.sameAddress($0.finalRecipient.value, found.address) || Self.sameAddress($0.originalRecipient?.value, found.address) }
            ?? (entries.count == 1 ? entries.first : nil)
        guard let entry else { return false }
        return try await changes.run(in: resource) { tx in
            guard var recipient = try await EmailStore.recipient(bounceToken: found.bounceToken, resource: resource, in: tx.db),
                let operation = try await EmailStore.operation(recipient.operationID, resource: resource, in: tx.db),
                [.queued, .deferred, .delivered].contains(recipient.status)
            else { return false }
            let diagnostic = entry.diagnosticCode?.value ?? "the receiving server reported the message undeliverable"
            let status = entry.status.description
            recipient.status = .bounced
            recipient.statusDetails = diagnostic.contains(status) ? diagnostic : "\(status) \(diagnostic)"
            recipient.mailServer = entry.remoteMTA?.value ?? notification.reportingMTA?.value ?? recipient.mailServer
            recipient.updatedAt = tx.now
            recipient.finishedAt = tx.now
            if entry.status.isPermanentFailure {
                try await EmailStore.recordHardBounce(recipient.address, now: tx.now, resource: resource, in: tx.db)
            }
            try await EmailStore.update(recipient, resource: resource, in: tx.db)
            try await Outbox.withdraw(
                correlatedWith: Correlation(scope: "email:\(recipient.operationID)", item: "\(recipient.seq)"), resource: resource, in: tx.db)
            try await progress(recipient.operationID, in: tx)
            var report = report(recipient, sender: operation.sender, at: tx.now)
            report.correlation = Correlation(scope: "email:\(recipient.operationID)", item: "report:\(recipient.seq):bounce")
            _ = try await events.append([report], in: tx)
            return true
        }
    }

    /// The mail of List-Unsubscribe's `mailto:` (RFC 2369): the recipient of the copy `address` was the envelope
    /// sender of opts out of the send's program on email.
    ///
    /// - Returns: whether an opt-out was recorded.
    @discardableResult
    func recordUnsubscribeMail(to address: String) async throws -> Bool {
        guard let (resource, recipient) = try await bounceTarget(address),
            let operation = try await resource.store.read({ db in
                try await EmailStore.operation(recipient.operationID, resource: resource, in: db)
            })
        else { return false }
        var known = operation.programID == MessagingProgram.defaultID
        if !known { known = (try? await policy.program(operation.programID, in: resource)) != nil }
        try await policy.recordOptOut(
            .init(recipient: recipient.address, channel: .email, programID: known ? operation.programID : nil, source: "unsubscribeMail"),
            in: resource)
        return true
    }

    static func sameAddress(_ a: String?, _ b: String) -> Bool {
        guard let a else { return false }
        return a.trimmingCharacters(in: CharacterSet(charactersIn: "<> \t")).lowercased() == b.lowercased()
    }
}

extension EmailService {
    public enum EngagementType: String, Sendable {
        case view
        case click
    }

    /// Records that a recipient opened (`view`) or followed a link in (`click`) their copy of a send: an
    /// `EmailEngagementTrackingReportReceived` event. Nothing, once the send's metadata is gone.
    func recordEngagement(
        _ type: EngagementType, operation id: String, seq: Int, context: String?, userAgent: String?, in resource: ResourceHandle
    ) async throws {
        let events = self.events
        try await changes.run(in: resource) { tx in
            guard let operation = try await EmailStore.operation(id, resource: resource, in: tx.db),
                let recipient = try await EmailStore.recipients(operation: id, resource: resource, in: tx.db).first(where: { $0.seq == seq })
            else { return }
            let event = NewEvent(
                type: EmailEventType.engagement.rawValue,
                payload: EmailEngagementData(
                    sender: operation.sender, recipient: recipient.address, messageId: id, userActionTimestamp: tx.now.date,
                    engagementContext: context, userAgent: userAgent.map { String($0.prefix(512)) }, engagementType: type.rawValue),
                recipients: [], correlation: Correlation(scope: "email:\(id)", item: "engagement:\(seq)"),
                subject: .emailAddress(recipient.address))
            _ = try await events.append([event], in: tx)
        }
    }
}
