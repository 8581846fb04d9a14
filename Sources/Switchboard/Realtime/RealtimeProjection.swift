import Foundation

/// Turns a logged chat event into the message a real-time session receives: the event names and fields of the
/// ACS chat SDKs' real-time notifications (`chatMessageReceived`, `typingIndicatorReceived`, …), with
/// identifiers in the wire's `CommunicationIdentifierModel` shape and `recipient` set to the session's user.
enum RealtimeProjection {
    struct Envelope: Encodable {
        let cursor: Int64
        let type: String
        let data: [String: JSONValue]
    }

    static func message(for event: LoggedEvent, recipient: String) -> Envelope? {
        guard let type = ChatEventType(rawValue: event.type),
            let data = try? JSONBody.decoder.decode(ChatEventData.self, from: event.data)
        else { return nil }
        var fields: [String: JSONValue] = ["threadId": .string(data.threadId)]
        func identifier(_ raw: String?) -> JSONValue {
            guard let raw else { return .null }
            return JSONValue(encoding: CommunicationIdentifierModel(rawID: raw))
        }
        func date(_ date: Date?) -> JSONValue { date.map { .string(APIDate.format($0)) } ?? .null }
        func participants(_ list: [ChatEventData.Participant]?) -> JSONValue {
            .array((list ?? []).map { participant in
                .object([
                    "id": identifier(participant.rawId),
                    "displayName": participant.displayName.map(JSONValue.string) ?? .null,
                    "shareHistoryTime": date(participant.shareHistoryTime),
                    "metadata": participant.metadata.map { .object($0.mapValues(JSONValue.string)) } ?? .null,
                ])
            })
        }
        // Who acted, as the SDKs' real-time events carry it: a participant (`id` and `displayName`).
        func actor() -> JSONValue {
            guard let raw = data.actor else { return .null }
            return .object(["id": identifier(raw), "displayName": data.actorDisplayName.map(JSONValue.string) ?? .null])
        }
        func properties() -> JSONValue {
            var properties: [String: JSONValue] = ["topic": .string(data.topic ?? "")]
            properties["metadata"] = .object((data.threadMetadata ?? [:]).mapValues(JSONValue.string))
            properties["retentionPolicy"] = data.retentionDays.map {
                .object(["kind": .string("threadCreationDate"), "deleteThreadAfterDays": .number(Double($0))])
            } ?? .object(["kind": .string("none")])
            return .object(properties)
        }
        let version = JSONValue.string(String(data.version ?? 0))
        let name: String
        switch type {
        case .messageReceived, .messageEdited, .messageDeleted:
            name = ["ChatMessageReceived": "chatMessageReceived", "ChatMessageEdited": "chatMessageEdited", "ChatMessageDeleted": "chatMessageDeleted"][type.rawValue]!
            fields["id"] = data.messageId.map(JSONValue.string) ?? .null
            fields["type"] = data.messageType.map(JSONValue.string) ?? .null
            fields["version"] = version
            fields["sender"] = identifier(data.actor)
            fields["senderDisplayName"] = .string(data.actorDisplayName ?? "")
            fields["recipient"] = identifier(recipient)
            fields["createdOn"] = date(data.composeTime)
            if type != .messageDeleted {
                fields["message"] = .string(data.messageBody ?? "")
                fields["metadata"] = .object((data.metadata ?? [:]).mapValues(JSONValue.string))
            }
            if type == .messageEdited { fields["editedOn"] = date(data.time) }
            if type == .messageDeleted { fields["deletedOn"] = date(data.time) }
        case .threadCreated:
            name = "chatThreadCreated"
            fields["version"] = version
            fields["createdOn"] = date(data.createTime)
            fields["createdBy"] = actor()
            fields["properties"] = properties()
            fields["participants"] = participants(data.participants)
        case .threadPropertiesUpdated:
            name = "chatThreadPropertiesUpdated"
            fields["version"] = version
            fields["updatedOn"] = date(data.time)
            fields["updatedBy"] = actor()
            fields["properties"] = properties()
        case .threadDeleted:
            name = "chatThreadDeleted"
            fields["version"] = version
            fields["deletedOn"] = date(data.time)
            fields["deletedBy"] = actor()
        case .participantsAdded:
            name = "participantsAdded"
            fields["version"] = version
            fields["addedOn"] = date(data.time)
            fields["addedBy"] = actor()
            fields["participantsAdded"] = participants(data.participants)
        case .participantsRemoved:
            name = "participantsRemoved"
            fields["version"] = version
            fields["removedOn"] = date(data.time)
            fields["removedBy"] = actor()
            fields["participantsRemoved"] = participants(data.participants)
        case .typingIndicatorReceived:
            name = "typingIndicatorReceived"
            fields["version"] = version
            fields["sender"] = identifier(data.actor)
            fields["senderDisplayName"] = .string(data.actorDisplayName ?? "")
            fields["recipient"] = identifier(recipient)
            fields["receivedOn"] = date(data.time)
        case .readReceiptReceived:
            name = "readReceiptReceived"
            fields["sender"] = identifier(data.actor)
            fields["senderDisplayName"] = .string(data.actorDisplayName ?? "")
            fields["recipient"] = identifier(recipient)
            fields["chatMessageId"] = data.chatMessageId.map(JSONValue.string) ?? .null
            fields["readOn"] = date(data.time)
        }
        return Envelope(cursor: event.id, type: name, data: fields)
    }
}

/// Any JSON value, for building messages whose shape varies.
public enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(encoding value: some Encodable) {
        guard let data = try? JSONBody.encoder.encode(value), let decoded = try? JSONDecoder().decode(JSONValue.self, from: data)
        else { self = .null; return }
        self = decoded
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
