import Foundation

/// The envelopes events travel in: Event Grid's own schema or CloudEvents 1.0, with `topic` / `source` naming
/// the resource the way ACS does. The event's data is encoded as its schema's type, in place.
public enum EventGridEnvelope {
    /// `/subscriptions/{id}/resourceGroups/switchboard/providers/Microsoft.Communication/communicationServices/{name}`:
    /// the shape of an ACS resource's Azure resource id, with the resource's id standing in for the subscription.
    public static func topic(for resource: ResourceHandle) -> String {
        "/subscriptions/\(resource.storageID)/resourceGroups/switchboard/providers/Microsoft.Communication/communicationServices/\(resource.name)"
    }

    /// One event in the Event Grid schema.
    struct EventGridEvent: Encodable {
        let id: String
        let topic: String
        let subject: String
        let data: AnyEncodable
        let eventType: String
        let dataVersion: String
        let metadataVersion: String
        let eventTime: String
    }

    /// One event in CloudEvents 1.0.
    struct CloudEvent: Encodable {
        let id: String
        let source: String
        let subject: String
        let type: String
        let time: String
        let data: AnyEncodable
        let specversion: String
        let datacontenttype: String
    }

    /// One event, encoded.
    static func encode(
        id: String, type: String, subject: String, data: any Encodable & Sendable, time: Timestamp, schema: EventSubscription.DeliverySchema,
        resource: ResourceHandle, dataVersion: String = "1.0"
    ) throws -> Data {
        switch schema {
        case .eventGrid:
            try JSONBody.encoder.encode(
                EventGridEvent(
                    id: id, topic: topic(for: resource), subject: subject, data: AnyEncodable(data), eventType: type, dataVersion: dataVersion,
                    metadataVersion: "1", eventTime: APIDate.format(time.date)))
        case .cloudEvents:
            try JSONBody.encoder.encode(
                CloudEvent(
                    id: id, source: topic(for: resource), subject: subject, type: type, time: APIDate.format(time.date),
                    data: AnyEncodable(data), specversion: "1.0", datacontenttype: "application/json"))
        }
    }

    /// A variant of a decoded event, encoded; `nil` when the variant has no data.
    static func encode(
        _ variant: EventGridVariant, of event: DecodedEvent, schema: EventSubscription.DeliverySchema, resource: ResourceHandle
    ) throws -> Data? {
        guard let data = event.eventGridData(for: variant) else { return nil }
        return try encode(
            id: WebhookDelivery.eventID(resource: resource, event: event.header.id, variant: variant), type: variant.type.rawValue,
            subject: variant.subject, data: data, time: event.header.createdAt, schema: schema, resource: resource)
    }
}
