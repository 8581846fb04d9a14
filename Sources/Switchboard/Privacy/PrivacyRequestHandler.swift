import Foundation

/// Runs queued privacy requests (`privacy.request`, one lane per kind): an export or an erasure at a time. A failure
/// is tried again on a schedule of minutes; when the attempts run out the request is marked `Failed`.
struct PrivacyRequestHandler: OutboxHandler {
    let service: PrivacyService

    var kind: String { PrivacyService.requestKind }
    var retrySchedule: RetrySchedule { RetrySchedule(delays: [.seconds(5), .seconds(30), .seconds(120), .seconds(600), .seconds(1800)]) }
    var deadLetters: DeadLetterPolicy { .withoutContent }
    func batchLimit(target: String, resource: ResourceHandle) async -> Int { 1 }
    func snapshot(_ item: OutboxItem, resource: ResourceHandle) async -> Data? { nil }

    func deliver(_ items: [OutboxItem], resource: ResourceHandle) async -> [DeliveryResult] {
        var results: [DeliveryResult] = []
        for item in items {
            guard let payload = item.payload, let subjects = try? JSONDecoder().decode([SubjectIdentifier].self, from: payload) else {
                try? await service.fail(item.deliveryID, reason: "The request's identifiers could not be read.", in: resource)
                results.append(DeliveryResult(.reject, error: "unreadable payload"))
                continue
            }
            do {
                try await service.perform(item.deliveryID, subjects: subjects, in: resource)
                results.append(DeliveryResult(.delivered))
            } catch {
                let reason = DatabaseErrorDescription.describe(error)
                if item.attempts + 1 >= item.maxAttempts {
                    try? await service.fail(item.deliveryID, reason: "The request failed after \(item.maxAttempts) attempts.", in: resource)
                }
                results.append(DeliveryResult(.retry, error: reason))
            }
        }
        return results
    }
}
