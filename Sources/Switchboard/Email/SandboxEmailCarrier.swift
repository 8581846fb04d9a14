import Foundation
import Mail
import SQLKit

/// The development carrier: captures every message as a mail catcher does (the exact bytes that would have gone
/// out, DKIM signature included), kept a day and listed at `GET {endpoint}/sandbox/email/messages`.
///
/// Recipients whose local part starts with `bounce` hard-bounce (`550 5.1.1`); `softbounce` defers once
/// (`451 4.2.0`) and then bounces, so an application can watch its bounce handling and the suppression lease.
struct SandboxEmailCarrier: EmailCarrier {
    static let name = "sandbox"
    static let hostname = "sandbox.switchboard.test"

    let changes: Changes

    var name: String { Self.name }
    var window: Int { 100 }

    func lane(forRecipient address: MailAddress) -> String { "all" }

    func deliver(_ envelopes: [EmailEnvelope]) async -> [EmailDeliveryOutcome] {
        var outcomes: [EmailDeliveryOutcome] = []
        var captured: [(EmailEnvelope, String)] = []
        for envelope in envelopes {
            let local = envelope.recipient.split(separator: "@").first.map { $0.lowercased() } ?? ""
            let outcome: EmailDeliveryOutcome
            if local.hasPrefix("softbounce") && envelope.previousAttempts == 0 {
                outcome = .deferred(server: Self.hostname, reason: "451 4.2.0 The sandbox mailbox is temporarily unavailable; try again later.")
            } else if local.hasPrefix("bounce") || local.hasPrefix("softbounce") {
                outcome = .bounced(server: Self.hostname, reply: "550 5.1.1 The sandbox mailbox does not exist.")
                captured.append((envelope, "Bounced"))
            } else {
                outcome = .delivered(server: Self.hostname, reply: "250 2.0.0 OK: captured by the sandbox")
                captured.append((envelope, "Delivered"))
            }
            outcomes.append(outcome)
        }
        guard let resource = envelopes.first?.resource, !captured.isEmpty else { return outcomes }
        let capturedCopies = captured
        do {
            try await changes.run(in: resource) { tx in
                var insert = tx.db.insert(into: "email_sandbox_messages").columns(
                    "resource_id", "id", "operation_id", "sender", "recipient_index", "recipient", "raw", "size", "outcome", "created_at")
                for (envelope, outcome) in capturedCopies {
                    insert = insert.values(
                        SQLBind(resource.storageID), SQLBind(UUID().uuidString.lowercased()), SQLBind(envelope.operationID),
                        SQLBind(envelope.mailFrom),
                        SQLBind(resource.crypto.blindIndex(envelope.recipient, kind: .emailAddress)),
                        SQLBind(try resource.crypto.seal(envelope.recipient, field: EmailStore.sandboxRecipientField)),
                        SQLBind(try resource.crypto.seal(data: Data(envelope.message), field: EmailStore.sandboxRawField)),
                        SQLBind(envelope.message.count), SQLBind(outcome), SQLBind(tx.now.milliseconds))
                }
                try await insert.run()
            }
        } catch {
            // Not captured: nothing was delivered, so the whole batch is tried again.
            return envelopes.map { _ in .deferred(server: Self.hostname, reason: "The sandbox could not store the messages.") }
        }
        return outcomes
    }
}
