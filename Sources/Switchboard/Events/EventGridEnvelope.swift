import Foundation

/// The envelopes events travel in: Event Grid's own schema or CloudEvents 1.0, with `topic` / `source` naming
/// the resource the way ACS does.
public enum EventGridEnvelope {
    /// `/subscriptions/{id}/resourceGroups/switchboard/providers/Microsoft.Communication/communicationServices/{name}`:
    /// the shape of an ACS resource's Azure resource id, with the resource's id standing in for the subscription.
    public static func topic(for resource: ResourceHandle) -> String {
        "/subscriptions/\(resource.storageID)/resourceGroups/switchboard/providers/Microsoft.Communication/communicationServices/\(resource.name)"
    }

    /// One rendered event.
    public static func render(
        id: String, type: String, subject: String, data: JSONValue, time: Timestamp, schema: EventSubscription.DeliverySchema,
        resource: ResourceHandle
    ) -> JSONValue {
        switch schema {
        case .eventGrid:
            .object([
                "id": .string(id), "topic": .string(topic(for: resource)), "subject": .string(subject), "data": data,
                "eventType": .string(type), "dataVersion": .string("1.0"), "metadataVersion": .string("1"),
                "eventTime": .string(APIDate.format(time.date)),
            ])
        case .cloudEvents:
            .object([
                "id": .string(id), "source": .string(topic(for: resource)), "subject": .string(subject), "type": .string(type),
                "time": .string(APIDate.format(time.date)), "data": data, "specversion": .string("1.0"),
                "datacontenttype": .string("application/json"),
            ])
        }
    }

    /// Renders an outboxed delivery from the event log; `nil` when the event is gone.
    static func render(_ item: OutboxItem, event: LoggedEvent?, schema: EventSubscription.DeliverySchema, resource: ResourceHandle) -> JSONValue? {
        guard let event, let key = item.variant, let variant = EventGridProjection.Variant(key: key, subjectFor: event),
            let data = EventGridProjection.data(for: variant, of: event)
        else { return nil }
        return render(
            id: item.messageUUID, type: variant.type.rawValue, subject: variant.subject, data: data, time: event.createdAt,
            schema: schema, resource: resource)
    }
}
