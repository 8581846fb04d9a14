import Crypto
import Foundation

/// What a queued webhook delivery carries: the logged event and which of its Event Grid variants to send. The
/// event's data is rendered from the log when the delivery is made, so content deleted in the meantime is never
/// sent.
struct WebhookDelivery: Codable, Sendable {
    let event: Int64
    let variant: EventGridVariant

    /// The id the Event Grid event carries: derived from the resource, the logged event and the variant, so every
    /// delivery of the same event (to several subscriptions, retried, replayed) has the same id to dedupe on.
    static func eventID(resource: ResourceHandle, event: Int64, variant: EventGridVariant) -> String {
        let key = "\(variant.type.rawValue)|\(variant.recipient ?? "")|\(variant.participant ?? "")"
        var bytes = Array(SHA256.hash(data: Data("\(resource.storageID)/\(event)/\(key)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0f) | 0x50  // version 5 (name-based)
        bytes[8] = (bytes[8] & 0x3f) | 0x80  // RFC 4122 variant
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10], bytes[11],
                bytes[12], bytes[13], bytes[14], bytes[15]
            )
        ).uuidString.lowercased()
    }
}
