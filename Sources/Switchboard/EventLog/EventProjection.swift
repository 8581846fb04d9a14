import Foundation
import SQLKit

/// How one capability's logged events look outside: the Event Grid events each becomes (type, subject, and the
/// schema's `data`), and the frame a real-time session receives. Each capability brings its own (chat's is
/// `Chat/ChatEventProjection`); the ``EventCatalog`` finds it by the logged type.
public protocol EventProjection: Sendable {
    associatedtype Payload: EventPayload

    /// The logged event types it renders.
    var eventTypes: [String] { get }

    /// The Event Grid events an event becomes: one per type and subject ACS publishes for it (an in-thread event
    /// and one per recipient, say).
    func eventGridVariants(of payload: Payload, header: EventHeader) -> [EventGridVariant]

    /// The `data` of one of those events, in the shape of its schema definition; `nil` if it has none.
    func eventGridData(for variant: EventGridVariant, of payload: Payload, header: EventHeader) -> (any Encodable & Sendable)?

    /// The frame real-time sessions receive; `nil` for events they do not see.
    func realtimeFrame(of payload: Payload, header: EventHeader) -> RealtimeFrame?

    /// The correlation scopes of the events `user` may replay after reconnecting (chat: the threads they take or
    /// took part in).
    func realtimeScopes(of user: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> [String]
}

extension EventProjection {
    public func realtimeFrame(of payload: Payload, header: EventHeader) -> RealtimeFrame? { nil }

    public func realtimeScopes(of user: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> [String] { [] }
}

/// One Event Grid event a logged event becomes: enough to address and render it later without computing every
/// variant again.
public struct EventGridVariant: Sendable, Hashable, Codable {
    public let type: CommunicationEventType
    public let subject: String
    /// The user a per-user event is for.
    public let recipient: String?
    /// The participant a per-participant event is about (participants added or removed).
    public let participant: String?

    public init(_ type: CommunicationEventType, subject: String, recipient: String? = nil, participant: String? = nil) {
        self.type = type
        self.subject = subject
        self.recipient = recipient
        self.participant = participant
    }
}

/// A message for real-time sessions: its name and its data, which may name the session's user.
public struct RealtimeFrame: Sendable {
    public let type: String
    public let data: any RealtimeFrameData

    public init(type: String, data: any RealtimeFrameData) {
        self.type = type
        self.data = data
    }
}

/// The data of a real-time frame.
public protocol RealtimeFrameData: Encodable, Sendable {
    /// The data as `recipient` (a raw user id) receives it: the fields that name the receiving user set to them.
    func addressed(to recipient: String) -> Self
}

/// Every capability's projection, found by logged event type.
public struct EventCatalog: Sendable {
    private let byType: [String: any ErasedEventProjection]
    private let projections: [any ErasedEventProjection]

    public init(_ projections: [any EventProjection]) {
        let erased = projections.map { $0.erased }
        var byType: [String: any ErasedEventProjection] = [:]
        for projection in erased {
            for type in projection.eventTypes {
                precondition(byType[type] == nil, "two projections render the event type \(type)")
                byType[type] = projection
            }
        }
        self.byType = byType
        self.projections = erased
    }

    func projection(for type: String) -> (any ErasedEventProjection)? {
        byType[type]
    }

    /// Decodes a logged event's data once, for rendering it (and its variants) as often as needed.
    public func decode(_ event: LoggedEvent) -> DecodedEvent? {
        guard let projection = byType[event.type], let payload = projection.decode(event.data) else { return nil }
        return DecodedEvent(header: event.header, payload: payload, projection: projection)
    }

    /// The correlation scopes whose events `user` may replay, from every capability.
    public func realtimeScopes(of user: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> [String] {
        var scopes: [String] = []
        for projection in projections {
            scopes += try await projection.realtimeScopes(of: user, resource: resource, in: db)
        }
        return scopes
    }
}

/// A logged event with its data decoded.
public struct DecodedEvent: Sendable {
    public let header: EventHeader
    public let payload: any EventPayload
    let projection: any ErasedEventProjection

    public var eventGridVariants: [EventGridVariant] {
        projection.eventGridVariants(of: payload, header: header)
    }

    public func eventGridData(for variant: EventGridVariant) -> (any Encodable & Sendable)? {
        projection.eventGridData(for: variant, of: payload, header: header)
    }

    public var realtimeFrame: RealtimeFrame? {
        projection.realtimeFrame(of: payload, header: header)
    }
}

/// A projection with its payload type erased, so the catalog can hold every capability's.
protocol ErasedEventProjection: Sendable {
    var eventTypes: [String] { get }
    func decode(_ data: Data) -> (any EventPayload)?
    func eventGridVariants(of payload: any EventPayload, header: EventHeader) -> [EventGridVariant]
    func eventGridData(for variant: EventGridVariant, of payload: any EventPayload, header: EventHeader) -> (any Encodable & Sendable)?
    func realtimeFrame(of payload: any EventPayload, header: EventHeader) -> RealtimeFrame?
    func realtimeScopes(of user: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> [String]
}

struct ErasedProjection<Projection: EventProjection>: ErasedEventProjection {
    let projection: Projection

    var eventTypes: [String] { projection.eventTypes }

    func decode(_ data: Data) -> (any EventPayload)? {
        try? JSONBody.decoder.decode(Projection.Payload.self, from: data)
    }

    func eventGridVariants(of payload: any EventPayload, header: EventHeader) -> [EventGridVariant] {
        guard let payload = payload as? Projection.Payload else { return [] }
        return projection.eventGridVariants(of: payload, header: header)
    }

    func eventGridData(for variant: EventGridVariant, of payload: any EventPayload, header: EventHeader) -> (any Encodable & Sendable)? {
        guard let payload = payload as? Projection.Payload else { return nil }
        return projection.eventGridData(for: variant, of: payload, header: header)
    }

    func realtimeFrame(of payload: any EventPayload, header: EventHeader) -> RealtimeFrame? {
        guard let payload = payload as? Projection.Payload else { return nil }
        return projection.realtimeFrame(of: payload, header: header)
    }

    func realtimeScopes(of user: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> [String] {
        try await projection.realtimeScopes(of: user, resource: resource, in: db)
    }
}

extension EventProjection {
    var erased: any ErasedEventProjection { ErasedProjection(projection: self) }
}
