import Foundation

/// The events SMS logs and how they look on Event Grid: `Microsoft.Communication.SMSReceived` and
/// `SMSDeliveryReportReceived`, subject `/phonenumber/<the resource's number without +>`. Their `data` is in the
/// PascalCase of ACS's own SMS event examples (consumers read it case-insensitively).
enum SMSEventType: String, CaseIterable {
    case received = "SMSReceived"
    case deliveryReport = "SMSDeliveryReportReceived"
}

/// What an SMS event carries: the received message with its body, or a delivery report.
struct SMSEventData: EventPayload {
    struct Attempt: Codable, Sendable {
        let timestamp: Date
        let segmentsSucceeded: Int
        let segmentsFailed: Int

        enum CodingKeys: String, CodingKey {
            case timestamp = "Timestamp"
            case segmentsSucceeded = "SegmentsSucceeded"
            case segmentsFailed = "SegmentsFailed"
        }
    }

    let messageId: String
    let from: String
    let to: String
    /// Received messages only.
    var message: String?
    var segmentCount: Int?
    /// Delivery reports only.
    var deliveryStatus: String?
    var deliveryStatusDetails: String?
    var deliveryAttempts: [Attempt]?
    var tag: String?
    let receivedTimestamp: Date

    enum CodingKeys: String, CodingKey {
        case messageId = "MessageId"
        case from = "From"
        case to = "To"
        case message = "Message"
        case segmentCount = "SegmentCount"
        case deliveryStatus = "DeliveryStatus"
        case deliveryStatusDetails = "DeliveryStatusDetails"
        case deliveryAttempts = "DeliveryAttempts"
        case tag = "Tag"
        case receivedTimestamp = "ReceivedTimestamp"
    }
}

struct SMSEventProjection: EventProjection {
    var eventTypes: [String] { SMSEventType.allCases.map(\.rawValue) }

    func eventGridVariants(of data: SMSEventData, header: EventHeader) -> [EventGridVariant] {
        switch SMSEventType(rawValue: header.type) {
        case .received: [EventGridVariant(.smsReceived, subject: "/phonenumber/\(data.to.drop { $0 == "+" })")]
        case .deliveryReport: [EventGridVariant(.smsDeliveryReportReceived, subject: "/phonenumber/\(data.from.drop { $0 == "+" })")]
        case nil: []
        }
    }

    func eventGridData(for variant: EventGridVariant, of data: SMSEventData, header: EventHeader) -> (any Encodable & Sendable)? {
        data
    }
}
