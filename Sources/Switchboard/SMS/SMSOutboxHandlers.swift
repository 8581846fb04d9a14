import Foundation

/// What SMS's outbox handlers share: they work for the SMS service, keep no content in their dead letters (a
/// message's body must not outlive its delivery; its fate is told by its status), and take a hundred rows at a time.
protocol SMSOutboxHandler: OutboxHandler {
    var service: SMSService { get }
}

extension SMSOutboxHandler {
    var deadLetters: DeadLetterPolicy { .withoutContent }

    func batchLimit(target: String, resource: ResourceHandle) async -> Int { 100 }

    func snapshot(_ item: OutboxItem, resource: ResourceHandle) async -> Data? { nil }
}

/// Submits queued messages to their carrier (`sms.submit`, one lane per carrier). A message is submitted twice only
/// when the node dies between the carrier's acceptance and the commit of its ids; throttling and a carrier out of
/// reach are retried, a refusal ends the message as failed.
struct SMSSubmitHandler: SMSOutboxHandler {
    let service: SMSService

    var kind: String { SMSService.submitKind }
    /// Carriers throttle for seconds, not hours: retry soon, and keep at it until the message's report deadline.
    var retrySchedule: RetrySchedule { RetrySchedule(delays: [.seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60)]) }
    /// Four windows: the carrier keeps its window full through a batch (the session queues what does not fit), and
    /// the batch's records are written once for all of them. After a crash, at most one batch is submitted again.
    func batchLimit(target: String, resource: ResourceHandle) async -> Int {
        (service.carriers.carrier(named: target)?.window ?? 1) * Self.windowsPerBatch
    }

    static let windowsPerBatch = 4

    func deliver(_ items: [OutboxItem], resource: ResourceHandle) async -> [DeliveryResult] {
        guard let carrier = service.carriers.carrier(named: items.first?.target ?? "") else {
            return items.map { _ in DeliveryResult(.retry, error: "the carrier is not configured on this node") }
        }
        var submissions: [SMSSubmission] = []
        var positions: [Int] = []
        var results = items.map { _ in DeliveryResult(.drop, error: "the message's content was erased") }
        let now = service.clock.now
        for (index, item) in items.enumerated() {
            guard let data = item.payload, let payload = try? JSONBody.decoder.decode(SMSService.SubmitPayload.self, from: data) else { continue }
            if let wait = service.pace.take(from: payload.from, resource: resource.storageID, now: now) {
                results[index] = DeliveryResult(.postponed, error: "the sender's pace", retryAfter: wait)
                continue
            }
            submissions.append(
                SMSSubmission(
                    messageID: item.deliveryID, resource: resource, from: payload.from, to: payload.to, text: payload.text,
                    segments: payload.segments, wantsReceipt: true))
            positions.append(index)
        }
        let outcomes = await carrier.submit(submissions)
        var accepted: [(messageID: String, ids: [String])] = []
        var acceptedPositions: [Int] = []
        for (position, (submission, outcome)) in zip(positions, zip(submissions, outcomes)) {
            switch outcome {
            case .accepted(let ids):
                accepted.append((submission.messageID, ids))
                acceptedPositions.append(position)
            case .retry(let reason, let after):
                results[position] = DeliveryResult(.retry, error: reason, retryAfter: after)
            case .failed(let reason):
                do {
                    try await service.failed(submission.messageID, details: reason, in: resource)
                    results[position] = DeliveryResult(.drop, error: reason)
                } catch {
                    results[position] = DeliveryResult(.retry, error: "recording the carrier's refusal failed")
                }
            }
        }
        // The carrier's ids are written with the batch's outcomes. Should that fail, the rows come back once their
        // lease ends and are submitted again (the one case of a double submission).
        if !accepted.isEmpty {
            let accepted = accepted
            let commit = DeliveryCommit(
                write: { [service] db, now in try await service.submitted(accepted, carrier: carrier.name, resource: resource, now: now, in: db) },
                committed: { carrier.submissionsRecorded() })
            for position in acceptedPositions { results[position] = DeliveryResult(.delivered, commit: commit) }
        }
        return results
    }

}

/// Ends a message whose receipt did not come before its deadline (`sms.receiptTimeout`).
struct SMSReceiptTimeoutHandler: SMSOutboxHandler {
    let service: SMSService

    var kind: String { SMSService.timeoutKind }
    var retrySchedule: RetrySchedule { RetrySchedule(delays: [.seconds(5), .seconds(30), .seconds(300)]) }
    func deliver(_ items: [OutboxItem], resource: ResourceHandle) async -> [DeliveryResult] {
        var results: [DeliveryResult] = []
        for item in items {
            do {
                try await service.expire(item.deliveryID, in: resource)
                results.append(DeliveryResult(.delivered))
            } catch {
                results.append(DeliveryResult(.retry, error: "the message could not be ended"))
            }
        }
        return results
    }

}

/// The sandbox carrier's receipts, due a short delay after it accepted a message (`sms.sandboxReceipt`).
struct SandboxReceiptHandler: SMSOutboxHandler {
    let service: SMSService

    var kind: String { SMSService.sandboxReceiptKind }
    var retrySchedule: RetrySchedule { RetrySchedule(delays: [.seconds(1), .seconds(5), .seconds(30)]) }
    func deliver(_ items: [OutboxItem], resource: ResourceHandle) async -> [DeliveryResult] {
        let now = service.clock.now
        var receipts: [SMSReceipt] = []
        var results: [DeliveryResult] = []
        for item in items {
            guard let data = item.payload, let payload = try? JSONBody.decoder.decode(SandboxSMSCarrier.ReceiptPayload.self, from: data) else {
                results.append(DeliveryResult(.drop))
                continue
            }
            receipts += payload.ids.map { id in
                SMSReceipt(
                    carrier: SandboxSMSCarrier.name, carrierMessageID: id, status: payload.delivered ? .delivered : .failed,
                    details: payload.delivered ? nil : "UNDELIV: the sandbox handset is unreachable (its number ends in 0000).", at: now)
            }
            results.append(DeliveryResult(.delivered))
        }
        do {
            try await service.receipts(receipts, in: resource)
            return results
        } catch {
            return items.map { _ in DeliveryResult(.retry, error: "the receipts could not be recorded") }
        }
    }

}

/// Sends the double opt-in confirmations the policy queues for SMS (`messaging.confirmation`, target `sms`).
struct SMSConfirmationHandler: SMSOutboxHandler {
    let service: SMSService

    var kind: String { ConsentConfirmation.kind(for: .sms) }
    var retrySchedule: RetrySchedule { RetrySchedule(delays: [.seconds(5), .seconds(30), .seconds(300)]) }
    func deliver(_ items: [OutboxItem], resource: ResourceHandle) async -> [DeliveryResult] {
        var results: [DeliveryResult] = []
        for item in items {
            guard let data = item.payload, let confirmation = try? JSONBody.decoder.decode(ConsentConfirmation.self, from: data) else {
                results.append(DeliveryResult(.drop, error: "the confirmation's content was erased"))
                continue
            }
            do {
                try await service.sendReply(from: confirmation.from, to: confirmation.to, text: confirmation.text, in: resource)
                results.append(DeliveryResult(.delivered))
            } catch {
                results.append(DeliveryResult(.retry, error: "the confirmation could not be queued"))
            }
        }
        return results
    }

}
