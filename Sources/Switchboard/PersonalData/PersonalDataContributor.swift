import Foundation
/// A capability's part in a person's data (the residency document: deleting an identity deletes what it holds;
/// and the data-subject requests built on it): what the capability holds about someone, for their export, and how
/// it erases it. Every contributor runs inside one transaction, so an erasure happens everywhere or nowhere.
public protocol PersonalDataContributor: Sendable {
    /// The heading the export lists this contributor's data under (`identities`, `chat`, …).
    var category: String { get }

    /// The tables erasure deletes or overwrites rows in; made unrecoverable once it commits
    /// (``Database/reclaimDeletedRows(in:_:)``).
    var erasableTables: [String] { get }

    /// Everything held about `subject`; `nil` when nothing is.
    func export(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> AnyEncodable?

    /// Erases what is held about `subject`; returns how many items of each kind it erased or reduced (`messages`,
    /// `consentsMinimised`), zeros included for the kinds it looked for, so a receipt shows what was checked.
    func erase(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> ErasedItems
}

/// How many items of each kind an erasure removed or reduced, by name (`messages: 3`).
public typealias ErasedItems = [String: Int]

/// Every capability's contributor: erases or exports a person everywhere their data lives.
public struct PersonalData: Sendable {
    public let contributors: [any PersonalDataContributor]

    public init(_ contributors: [any PersonalDataContributor]) {
        self.contributors = contributors
    }

    /// Erases `subject` from every capability, in the caller's transaction; returns what each erased, by
    /// category (categories with nothing of the subject's kind are left out).
    @discardableResult
    public func erase(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> [String: ErasedItems] {
        var erased: [String: ErasedItems] = [:]
        for contributor in contributors {
            let items = try await contributor.erase(subject, in: tx)
            guard !items.isEmpty else { continue }
            erased[contributor.category, default: [:]].merge(items, uniquingKeysWith: +)
        }
        return erased
    }

    /// What every capability holds about `subject`, by category.
    public func export(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> [String: AnyEncodable] {
        var sections: [String: AnyEncodable] = [:]
        for contributor in contributors {
            if let section = try await contributor.export(subject, in: tx) { sections[contributor.category] = section }
        }
        return sections
    }

    /// Every table an erasure may touch.
    public var erasableTables: [String] {
        var seen = Set<String>()
        return contributors.flatMap(\.erasableTables).filter { seen.insert($0).inserted }
    }
}

/// The event log's and the outbox's part: events a person caused and deliveries that concern them.
struct EventsAndDeliveriesPersonalData: PersonalDataContributor {
    var category: String { "eventsAndDeliveries" }
    var erasableTables: [String] { ["events", "outbox"] }

    struct Export: Encodable, Sendable {
        struct Event: Encodable, Sendable {
            let id: Int64
            let type: String
            let loggedOn: String
            let data: JSONValue
        }
        struct Delivery: Encodable, Sendable {
            let kind: String
            let target: String
            let state: String
            let queuedOn: String
        }
        let events: [Event]
        let deliveries: [Delivery]
    }

    func export(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> AnyEncodable? {
        let events = try await EventLog.events(concerning: subject, resource: tx.resource, in: tx.db)
        let deliveries = try await Outbox.items(concerning: subject, resource: tx.resource, in: tx.db)
        guard !events.isEmpty || !deliveries.isEmpty else { return nil }
        return AnyEncodable(
            Export(
                events: events.map {
                    Export.Event(
                        id: $0.id, type: $0.type, loggedOn: APIDate.format($0.createdAt.date),
                        data: (try? JSONBody.decoder.decode(JSONValue.self, from: $0.data)) ?? .null)
                },
                deliveries: deliveries.map {
                    Export.Delivery(kind: $0.kind, target: $0.target, state: $0.state, queuedOn: APIDate.format($0.createdAt.date))
                }))
    }

    func erase(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> ErasedItems {
        let deliveries = try await Outbox.withdraw(concerning: subject, resource: tx.resource, in: tx.db)
        let events = try await EventLog.remove(concerning: subject, resource: tx.resource, in: tx.db)
        guard case .communicationUser(let user) = subject else { return ["events": events, "deliveries": deliveries] }
        let addressed = try await EventLog.removeRecipient(user, resource: tx.resource, in: tx.db)
        return ["events": events, "deliveries": deliveries, "eventsNoLongerAddressedToThem": addressed]
    }
}
