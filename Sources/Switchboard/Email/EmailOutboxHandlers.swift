import Foundation

/// Delivers recipients' copies to their carrier (`email.deliver`, one lane per carrier and recipient domain). A
/// `4xx` is retried on a schedule of minutes to hours (``EmailConfiguration/retrySchedule``) for up to 48 hours; a `5xx` is a bounce. Dead letters keep no
/// content: what became of a message is told by its recipients' statuses and reports.
struct EmailDeliverHandler: OutboxHandler {
    let service: EmailService

    var kind: String { EmailService.deliverKind }
    var deadLetters: DeadLetterPolicy { .withoutContent }
    var retrySchedule: RetrySchedule { service.configuration.retrySchedule }

    func batchLimit(target: String, resource: ResourceHandle) async -> Int {
        service.carriers.carrier(ofTarget: target)?.window ?? 1
    }

    func snapshot(_ item: OutboxItem, resource: ResourceHandle) async -> Data? { nil }

    func deliver(_ items: [OutboxItem], resource: ResourceHandle) async -> [DeliveryResult] {
        guard let carrier = service.carriers.carrier(ofTarget: items.first?.target ?? "") else {
            return items.map { _ in DeliveryResult(.retry, error: "the email carrier is not configured on this node") }
        }
        let prepared: [EmailService.Prepared]
        do {
            prepared = try await service.prepare(items, resource: resource)
        } catch {
            return items.map { _ in DeliveryResult(.retry, error: "the messages could not be prepared") }
        }
        var results = items.map { _ in DeliveryResult(.drop, error: "nothing left to deliver") }
        var envelopes: [EmailEnvelope] = []
        var positions: [Int] = []
        for (index, entry) in prepared.enumerated() {
            if case .envelope(let envelope) = entry {
                envelopes.append(envelope)
                positions.append(index)
            }
        }
        guard !envelopes.isEmpty else { return results }
        let outcomes = await carrier.deliver(envelopes)
        do {
            try await service.record(Array(zip(envelopes, outcomes)), in: resource)
        } catch {
            // The carrier's answers could not be recorded: the rows come back (a copy may go out twice; its
            // Message-ID differs, so receivers can tell).
            for position in positions { results[position] = DeliveryResult(.retry, error: "recording the carrier's answer failed") }
            return results
        }
        for (position, outcome) in zip(positions, outcomes) {
            switch outcome {
            case .delivered: results[position] = DeliveryResult(.delivered)
            // A bounce or failure is final and recorded with the recipient; the row has nothing more to do (it is no
            // dead letter: sending it again would bounce again).
            case .bounced(_, let reply): results[position] = DeliveryResult(.drop, error: reply)
            case .failed(let reason): results[position] = DeliveryResult(.drop, error: reason)
            case .deferred(_, let reason):
                // The sandbox defers for a moment only, so that a developer sees the retry without waiting minutes.
                let pause: Duration? = carrier.name == SandboxEmailCarrier.name ? .seconds(1) : nil
                results[position] = DeliveryResult(.retry, error: reason, retryAfter: pause)
            }
        }
        return results
    }
}

/// Ends the recipients of a send still waiting when its retry window closes (`email.expire`).
struct EmailExpiryHandler: OutboxHandler {
    let service: EmailService

    var kind: String { EmailService.expireKind }
    var deadLetters: DeadLetterPolicy { .withoutContent }
    var retrySchedule: RetrySchedule { RetrySchedule(delays: [.seconds(5), .seconds(30), .seconds(300)]) }
    func batchLimit(target: String, resource: ResourceHandle) async -> Int { 100 }
    func snapshot(_ item: OutboxItem, resource: ResourceHandle) async -> Data? { nil }

    func deliver(_ items: [OutboxItem], resource: ResourceHandle) async -> [DeliveryResult] {
        var results: [DeliveryResult] = []
        for item in items {
            let id = String(item.deliveryID.prefix { $0 != ":" })
            do {
                try await service.expire(id, in: resource)
                results.append(DeliveryResult(.delivered))
            } catch {
                results.append(DeliveryResult(.retry, error: "the send could not be ended"))
            }
        }
        return results
    }
}

/// Sends the double opt-in confirmations the policy queues for email (`messaging.confirmation.email`): a message from
/// the program's email sender with the confirmation link, signed and delivered like any other, past the gate (it is
/// the gate's own message) but not past the suppression list or a bounce lease; never tracked.
struct EmailConfirmationHandler: OutboxHandler {
    let service: EmailService

    var kind: String { ConsentConfirmation.kind(for: .email) }
    var retrySchedule: RetrySchedule { RetrySchedule(delays: [.seconds(5), .seconds(30), .seconds(300)]) }
    var deadLetters: DeadLetterPolicy { .withoutContent }
    func batchLimit(target: String, resource: ResourceHandle) async -> Int { 20 }
    func snapshot(_ item: OutboxItem, resource: ResourceHandle) async -> Data? { nil }

    func deliver(_ items: [OutboxItem], resource: ResourceHandle) async -> [DeliveryResult] {
        var results: [DeliveryResult] = []
        for item in items {
            guard let data = item.payload, let confirmation = try? JSONBody.decoder.decode(ConsentConfirmation.self, from: data) else {
                results.append(DeliveryResult(.drop, error: "the confirmation's content was erased"))
                continue
            }
            do {
                try await service.sendConfirmation(confirmation, deliveryID: item.deliveryID, in: resource)
                results.append(DeliveryResult(.delivered))
            } catch let error as EmailError {
                // The program's sender cannot send (not registered, domain not verified): fixed by the operator, not
                // by waiting.
                results.append(DeliveryResult(.reject, error: error.apiError.message))
            } catch {
                results.append(DeliveryResult(.retry, error: "the confirmation could not be queued"))
            }
        }
        return results
    }
}
