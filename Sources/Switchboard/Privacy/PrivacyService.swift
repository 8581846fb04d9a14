import Crypto
import Foundation
import SQLKit

/// Data-subject requests: a person's data exported or erased across every capability in one request (the residency
/// document: only the application can relate a human to their identities, numbers and addresses; Switchboard then
/// finds them everywhere they live). Both are long-running operations that run through the outbox, so they survive a
/// restart and run once across nodes; an erasure ends in a receipt signed with the resource's key.
public struct PrivacyService: Sendable {
    let changes: Changes
    let personalData: PersonalData
    let invalidationListeners: [any TokenInvalidationListener]

    public init(changes: Changes, personalData: PersonalData, invalidationListeners: [any TokenInvalidationListener]) {
        self.changes = changes
        self.personalData = personalData
        self.invalidationListeners = invalidationListeners
    }

    /// The outbox rows that run requests; their payload is the request's identifiers.
    static let requestKind = "privacy.request"
    /// At most this many identifiers in one request (one person's).
    public static let maxIdentifiers = 100
    /// An export's archive is kept a day after it is made.
    public static let archiveRetention: Duration = .seconds(86_400)
    /// A finished export's status is kept 30 days (without its archive).
    public static let exportRetention: Duration = .seconds(30 * 86_400)
    /// An erasure's receipt is kept four years, as long as the consent proof an erasure leaves behind.
    public static let receiptRetention: Duration = .seconds(4 * 366 * 86_400)

    public enum Kind: String, Sendable, Codable {
        case export
        case erasure
    }

    public enum Status: String, Sendable, Codable {
        case notStarted = "NotStarted"
        case running = "Running"
        case succeeded = "Succeeded"
        case failed = "Failed"

        var isFinal: Bool { self == .succeeded || self == .failed }
    }

    /// An erasure's counts so far and how many passes made them.
    public struct Tally: Codable, Sendable, Equatable {
        public var passes: Int
        public var erased: [String: ErasedItems]

        mutating func add(_ pass: [String: ErasedItems]) {
            passes += 1
            for (category, items) in pass { erased[category, default: [:]].merge(items, uniquingKeysWith: +) }
        }
    }

    /// The identifiers of one person, as the API takes them.
    public struct Identifiers: Codable, Sendable, Equatable {
        public var communicationUserIds: [String]?
        public var phoneNumbers: [String]?
        public var emailAddresses: [String]?

        public init(communicationUserIds: [String]? = nil, phoneNumbers: [String]? = nil, emailAddresses: [String]? = nil) {
            self.communicationUserIds = communicationUserIds
            self.phoneNumbers = phoneNumbers
            self.emailAddresses = emailAddresses
        }
    }

    /// `identifiers` checked and normalised: each a communication user of `resource`, an E.164 number or an email
    /// address; at least one, at most ``maxIdentifiers``.
    public static func subjects(_ identifiers: Identifiers, in resource: ResourceHandle) throws(PrivacyError) -> [SubjectIdentifier] {
        var subjects: [SubjectIdentifier] = []
        for (index, raw) in (identifiers.communicationUserIds ?? []).enumerated() {
            let target = "identifiers.communicationUserIds[\(index)]"
            guard let user = UserID(rawID: raw.trimmingCharacters(in: .whitespaces)) else {
                throw .invalidIdentifier("'\(raw)' is not a communication user id (8:acs:…).", target: target)
            }
            guard user.resourceID == resource.id else {
                throw .invalidIdentifier("'\(raw)' is an identity of another resource.", target: target)
            }
            subjects.append(.communicationUser(user.rawID))
        }
        for (index, raw) in (identifiers.phoneNumbers ?? []).enumerated() {
            guard let number = MessagingAddress.phoneNumber(raw) else {
                throw .invalidIdentifier("'\(raw)' is not an E.164 phone number.", target: "identifiers.phoneNumbers[\(index)]")
            }
            subjects.append(.phoneNumber(number))
        }
        for (index, raw) in (identifiers.emailAddresses ?? []).enumerated() {
            guard let address = MessagingAddress.emailAddress(raw) else {
                throw .invalidIdentifier("'\(raw)' is not an email address.", target: "identifiers.emailAddresses[\(index)]")
            }
            subjects.append(.emailAddress(address))
        }
        var seen = Set<SubjectIdentifier>()
        subjects = subjects.filter { seen.insert($0).inserted }
        guard !subjects.isEmpty else { throw .noIdentifiers }
        guard subjects.count <= maxIdentifiers else { throw .tooManyIdentifiers(limit: maxIdentifiers) }
        return subjects
    }

    // MARK: Requests

    /// Queues an export or an erasure of `subjects`; it runs on the delivery workers (``PrivacyRequestHandler``).
    public func submit(_ kind: Kind, subjects: [SubjectIdentifier], in resource: ResourceHandle) async throws -> PrivacyRequestView {
        let id = UUID().uuidString.lowercased()
        let payload = try JSONEncoder().encode(subjects)
        return try await changes.run(in: resource) { tx in
            try await PrivacyStore.insert(id: id, kind: kind, subjects: subjects, now: tx.now, resource: resource, in: tx.db)
            try await Outbox.enqueue(
                [
                    NewOutboxItem(
                        kind: Self.requestKind, target: kind.rawValue, deliveryID: id, payload: payload, maxAttempts: 10,
                        expiresAt: tx.now.adding(.seconds(7 * 86_400)))
                ], in: tx)
            return PrivacyRequestView(id: id, kind: kind, status: .notStarted, identifierCount: subjects.count, createdAt: tx.now)
        }
    }

    /// A request of `kind` by id.
    public func request(_ kind: Kind, _ id: String, in resource: ResourceHandle) async throws -> PrivacyRequestView {
        guard let request = try await resource.store.read({ db in try await PrivacyStore.request(id.lowercased(), resource: resource, in: db) }),
            request.kind == kind
        else { throw PrivacyError.requestNotFound(id, kind: kind) }
        return PrivacyRequestView(request)
    }

    /// A finished export's archive (JSON).
    public func archive(_ id: String, in resource: ResourceHandle) async throws -> Data {
        guard let request = try await resource.store.read({ db in try await PrivacyStore.request(id.lowercased(), resource: resource, in: db) }),
            request.kind == .export
        else { throw PrivacyError.requestNotFound(id, kind: .export) }
        guard request.status == .succeeded else { throw PrivacyError.notFinished(id, status: request.status) }
        guard let sealed = request.result else { throw PrivacyError.archiveExpired(id) }
        return try resource.crypto.open(data: sealed, field: PrivacyStore.archiveField)
    }

    /// The key that signs the resource's receipts.
    public func receiptKey(of resource: ResourceHandle) -> ReceiptKey { resource.receiptKey }

    // MARK: Running

    /// Runs request `id` over `subjects`; does nothing when it has already finished or no longer exists.
    public func perform(_ id: String, subjects: [SubjectIdentifier], in resource: ResourceHandle) async throws {
        guard let request = try await resource.store.read({ db in try await PrivacyStore.request(id, resource: resource, in: db) }),
            !request.status.isFinal
        else { return }
        switch request.kind {
        case .export: try await export(request, subjects: subjects, in: resource)
        case .erasure: try await erase(request, subjects: subjects, in: resource)
        }
    }

    /// Marks request `id` failed (its attempts ran out).
    func fail(_ id: String, reason: String, in resource: ResourceHandle) async throws {
        try await changes.run(in: resource) { tx in
            guard let request = try await PrivacyStore.request(id, resource: resource, in: tx.db), !request.status.isFinal else { return }
            try await PrivacyStore.finish(id, status: .failed, result: nil, tally: nil, error: reason, now: tx.now, resource: resource, in: tx.db)
        }
    }

    private func export(_ request: PrivacyStore.Request, subjects: [SubjectIdentifier], in resource: ResourceHandle) async throws {
        let personalData = self.personalData
        try await changes.run(in: resource) { tx in
            // Read inside the transaction that records the result: the archive is one consistent picture.
            var categories: [String: [PersonalDataArchive.Section]] = [:]
            for subject in subjects {
                for (category, data) in try await personalData.export(subject, in: tx) {
                    categories[category, default: []].append(.init(identifier: subject.value, data: data))
                }
            }
            let archive = PersonalDataArchive(
                id: request.id, resource: .init(id: resource.id.uuidString.lowercased(), name: resource.name),
                geography: resource.geography.compactName, exportedOn: tx.now.date, identifiers: Identifiers(subjects), categories: categories)
            let encoder = JSONBody.encoder
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let sealed = try resource.crypto.seal(data: try encoder.encode(archive), field: PrivacyStore.archiveField)
            try await PrivacyStore.finish(
                request.id, status: .succeeded, result: sealed, tally: nil, error: nil, now: tx.now, resource: resource, in: tx.db)
        }
    }

    private func erase(_ request: PrivacyStore.Request, subjects: [SubjectIdentifier], in resource: ResourceHandle) async throws {
        let personalData = self.personalData
        // Two passes in two transactions: the second erases what was written for the subjects while the first ran
        // (on PostgreSQL another transaction may commit a row the first pass's statements did not see). The tally is
        // recorded with each pass, so a crash between them loses no count.
        for round in 1...2 {
            let done = try await changes.run(in: resource) { tx -> Bool in
                guard let current = try await PrivacyStore.request(request.id, resource: resource, in: tx.db), !current.status.isFinal else {
                    return true
                }
                var tally = current.tally ?? Tally(passes: 0, erased: [:])
                var pass: [String: ErasedItems] = [:]
                for subject in subjects {
                    for (category, items) in try await personalData.erase(subject, in: tx) {
                        pass[category, default: [:]].merge(items, uniquingKeysWith: +)
                    }
                }
                tally.add(pass)
                guard round == 2 else {
                    try await PrivacyStore.recordProgress(request.id, tally: tally, now: tx.now, resource: resource, in: tx.db)
                    return false
                }
                let receipt = ErasureReceipt(
                    type: ErasureReceipt.type, id: request.id,
                    resource: .init(id: resource.id.uuidString.lowercased(), name: resource.name), geography: resource.geography.compactName,
                    requestedOn: APIDate.format(current.createdAt.date), erasedOn: APIDate.format(tx.now.date),
                    identifiers: subjects.map {
                        .init(
                            kind: $0.kindName, hash: Base64URL.encode(resource.crypto.receiptIdentifierHash($0.value, kind: $0.indexKind)))
                    },
                    erased: tally.erased, passes: tally.passes)
                let signed = try SignedReceipt.sign(receipt, with: resource.crypto.receiptSigningKey)
                try await PrivacyStore.finish(
                    request.id, status: .succeeded, result: Data(signed.utf8), tally: tally, error: nil, now: tx.now, resource: resource,
                    in: tx.db)
                return true
            }
            if done { break }
        }
        for case .communicationUser(let raw) in subjects {
            guard let user = UserID(rawID: raw) else { continue }
            for listener in invalidationListeners { await listener.tokensInvalidated(of: user, resource: resource) }
        }
        try await resource.store.reclaimDeletedRows(in: personalData.erasableTables, .withinMaintenanceInterval)
    }
}

extension PrivacyService.Identifiers {
    init(_ subjects: [SubjectIdentifier]) {
        var users: [String] = []
        var numbers: [String] = []
        var addresses: [String] = []
        for subject in subjects {
            switch subject {
            case .communicationUser(let value): users.append(value)
            case .phoneNumber(let value): numbers.append(value)
            case .emailAddress(let value): addresses.append(value)
            }
        }
        self.init(
            communicationUserIds: users.isEmpty ? nil : users, phoneNumbers: numbers.isEmpty ? nil : numbers,
            emailAddresses: addresses.isEmpty ? nil : addresses)
    }
}

extension SubjectIdentifier {
    /// The identifier's kind as receipts and archives name it.
    var kindName: String {
        switch self {
        case .communicationUser: "communicationUser"
        case .phoneNumber: "phoneNumber"
        case .emailAddress: "emailAddress"
        }
    }
}

/// What an export produces: everything the resource holds about the identifiers, by category, each section naming
/// the identifier it was found by.
struct PersonalDataArchive: Encodable, Sendable {
    struct Section: Encodable, Sendable {
        let identifier: String
        let data: AnyEncodable
    }

    struct Resource: Encodable, Sendable {
        let id: String
        let name: String
    }

    let type = "switchboard.personalDataExport/v1"
    let id: String
    let resource: Resource
    let geography: String
    let exportedOn: Date
    let identifiers: PrivacyService.Identifiers
    let categories: [String: [Section]]
}

extension ResourceHandle {
    /// The public half of the key that signs the resource's erasure receipts.
    public var receiptKey: ReceiptKey { ReceiptKey(crypto.receiptSigningKey.publicKey) }
}
