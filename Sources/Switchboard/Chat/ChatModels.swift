import Foundation

/// Wire models of the Chat API (`reference/acs-wire.md` §4.2, spec 2024-03-07; `metadata` and `retentionPolicy`
/// of threads from 2025-03-15).
enum ChatWire {
    struct Participant: Codable, Sendable {
        var communicationIdentifier: CommunicationIdentifierModel
        var displayName: String?
        var shareHistoryTime: Date?
        var metadata: [String: String]?
    }

    struct RetentionPolicy: Codable, Sendable, Equatable {
        var kind: String
        var deleteThreadAfterDays: Int?
    }

    /// A field of a merge-patch body: absent, explicitly `null`, or a value.
    enum Patch<Value: Decodable & Sendable>: Sendable {
        case absent
        case null
        case value(Value)
    }

    struct CreateThreadRequest: Decodable {
        var topic: String
        var participants: [Participant]?
        var metadata: [String: String]?
        var retentionPolicy: RetentionPolicy?
    }

    struct UpdateThreadRequest: Decodable {
        var topic: Patch<String> = .absent
        var metadata: Patch<[String: String]> = .absent
        var retentionPolicy: Patch<RetentionPolicy> = .absent

        enum CodingKeys: String, CodingKey { case topic, metadata, retentionPolicy }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            topic = try Self.patch(container, .topic)
            metadata = try Self.patch(container, .metadata)
            retentionPolicy = try Self.patch(container, .retentionPolicy)
        }

        static func patch<T: Decodable>(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Patch<T> {
            guard container.contains(key) else { return .absent }
            if try container.decodeNil(forKey: key) { return .null }
            return .value(try container.decode(T.self, forKey: key))
        }
    }

    struct SendMessageRequest: Decodable {
        var content: String
        var senderDisplayName: String?
        var type: String?
        var metadata: [String: String]?
    }

    struct UpdateMessageRequest: Decodable {
        var content: String?
        var metadata: [String: String]?
    }

    struct AddParticipantsRequest: Decodable {
        var participants: [Participant]
    }

    struct ReadReceiptRequest: Decodable {
        var chatMessageId: String
    }

    struct TypingRequest: Decodable {
        var senderDisplayName: String?
    }

    struct ThreadProperties: Encodable, Sendable {
        var id: String
        var topic: String
        var createdOn: Date
        var createdByCommunicationIdentifier: CommunicationIdentifierModel
        var deletedOn: Date?
        var metadata: [String: String]?
        var retentionPolicy: RetentionPolicy?
    }

    struct CreateThreadResult: Encodable {
        var chatThread: ThreadProperties
        var invalidParticipants: [APIError.ErrorBody]?
    }

    struct AddParticipantsResult: Encodable {
        var invalidParticipants: [APIError.ErrorBody]?
    }

    struct ThreadItem: Encodable, Sendable {
        var id: String
        var topic: String
        var deletedOn: Date?
        var lastMessageReceivedOn: Date?
    }

    struct MessageContent: Codable, Sendable {
        var message: String?
        var topic: String?
        var participants: [Participant]?
        var initiatorCommunicationIdentifier: CommunicationIdentifierModel?
    }

    struct Message: Encodable, Sendable {
        var id: String
        var type: String
        var sequenceId: String
        var version: String
        var content: MessageContent?
        var senderDisplayName: String?
        var createdOn: Date
        var senderCommunicationIdentifier: CommunicationIdentifierModel?
        var deletedOn: Date?
        var editedOn: Date?
        var metadata: [String: String]?
    }

    struct ReadReceipt: Encodable, Sendable {
        var senderCommunicationIdentifier: CommunicationIdentifierModel
        var chatMessageId: String
        var readOn: Date
    }

    struct SendMessageResult: Encodable {
        var id: String
    }
}
