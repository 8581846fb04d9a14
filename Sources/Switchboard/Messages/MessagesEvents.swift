import Foundation

/// The events Advanced Messages logs and how they look on Event Grid: `Microsoft.Communication.AdvancedMessageReceived`
/// (a handset wrote to a channel) and `AdvancedMessageDeliveryStatusUpdated` (a sent message's status), subject
/// `advancedMessage/sender/<from>/recipient/<to>`, their `data` in the schema's camelCase.
enum MessagesEventType: String, CaseIterable {
    case received = "AdvancedMessageReceived"
    case deliveryStatusUpdated = "AdvancedMessageDeliveryStatusUpdated"
}

/// What an Advanced Messages event carries (`AcsMessageReceivedEventData`, `AcsMessageDeliveryStatusUpdatedEventData`).
struct AdvancedMessageEventData: EventPayload {
    struct ChannelError: Codable, Sendable, Equatable {
        let channelCode: String?
        let channelMessage: String?
    }

    struct Media: Codable, Sendable {
        let mimeType: String
        let id: String
        let fileName: String?
        let caption: String?
        /// Stickers only: whether it is animated.
        var animated: Bool? = nil
    }

    /// A reaction to a message: the WhatsApp id of the message reacted to, and the emoji (none when it was removed).
    struct Reaction: Codable, Sendable {
        let messageId: String
        let emoji: String?
    }

    /// A reply to an interactive message: `buttonReply`, `listReply` (or `unknown`) and the button or row chosen.
    struct Interactive: Codable, Sendable {
        struct ButtonReply: Codable, Sendable {
            let id: String?
            let title: String?
        }

        struct ListReply: Codable, Sendable {
            let id: String?
            let title: String?
            let description: String?
        }

        let type: String
        var buttonReply: ButtonReply?
        var listReply: ListReply?
    }

    struct Context: Codable, Sendable {
        let from: String?
        let id: String?
    }

    struct Button: Codable, Sendable {
        let text: String?
        let payload: String?
    }

    let from: String
    let to: String
    let receivedTimestamp: Date
    var error: ChannelError?
    let messageId: String
    var channelType = "whatsapp"
    /// Received messages only.
    var content: String?
    var messageType: String?
    var media: Media?
    var context: Context?
    var button: Button?
    var reaction: Reaction?
    var interactive: Interactive?
    /// Status updates only.
    var status: String?

    init(from: String, to: String, receivedTimestamp: Date, messageId: String) {
        self.from = from
        self.to = to
        self.receivedTimestamp = receivedTimestamp
        self.messageId = messageId
    }
}

struct MessagesEventProjection: EventProjection {
    var eventTypes: [String] { MessagesEventType.allCases.map(\.rawValue) }

    func eventGridVariants(of data: AdvancedMessageEventData, header: EventHeader) -> [EventGridVariant] {
        let subject = "advancedMessage/sender/\(data.from)/recipient/\(data.to)"
        return switch MessagesEventType(rawValue: header.type) {
        case .received: [EventGridVariant(.advancedMessageReceived, subject: subject)]
        case .deliveryStatusUpdated: [EventGridVariant(.advancedMessageDeliveryStatusUpdated, subject: subject)]
        case nil: []
        }
    }

    func eventGridData(for variant: EventGridVariant, of data: AdvancedMessageEventData, header: EventHeader) -> (any Encodable & Sendable)? {
        data
    }
}
