import Foundation

/// The events email logs and how they look on Event Grid: `Microsoft.Communication.EmailDeliveryReportReceived`,
/// one per recipient, subject `sender/<sender>/message/<operation id>`.
enum EmailEventType: String, CaseIterable {
    case deliveryReport = "EmailDeliveryReportReceived"
    case engagement = "EmailEngagementTrackingReportReceived"
}

/// A recipient's delivery report, in the camelCase of ACS's email event schema.
struct EmailDeliveryReportData: EventPayload {
    struct Details: Codable, Sendable {
        let recipientMailServerHostName: String?
        let statusMessage: String?
    }

    let sender: String
    let recipient: String
    let internetMessageId: String?
    let messageId: String
    let status: String
    let deliveryStatusDetails: Details
    let deliveryAttemptTimestamp: Date
}

struct EmailEventProjection: EventProjection {
    var eventTypes: [String] { [EmailEventType.deliveryReport.rawValue] }

    func eventGridVariants(of data: EmailDeliveryReportData, header: EventHeader) -> [EventGridVariant] {
        [EventGridVariant(.emailDeliveryReportReceived, subject: "sender/\(data.sender)/message/\(data.messageId)")]
    }

    func eventGridData(for variant: EventGridVariant, of data: EmailDeliveryReportData, header: EventHeader) -> (any Encodable & Sendable)? {
        data
    }
}

/// A recipient's engagement (`view` through the image, `click` through a rewritten link), in the camelCase of ACS's
/// email event schema.
struct EmailEngagementData: EventPayload {
    let sender: String
    let recipient: String
    let messageId: String
    let userActionTimestamp: Date
    let engagementContext: String?
    let userAgent: String?
    let engagementType: String
}

struct EmailEngagementProjection: EventProjection {
    var eventTypes: [String] { [EmailEventType.engagement.rawValue] }

    func eventGridVariants(of data: EmailEngagementData, header: EventHeader) -> [EventGridVariant] {
        [EventGridVariant(.emailEngagementTrackingReportReceived, subject: "sender/\(data.sender)/message/\(data.messageId)")]
    }

    func eventGridData(for variant: EventGridVariant, of data: EmailEngagementData, header: EventHeader) -> (any Encodable & Sendable)? {
        data
    }
}
