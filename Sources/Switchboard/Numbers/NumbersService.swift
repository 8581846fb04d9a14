import Foundation
import SQLKit

/// Phone numbers for a resource: what the inventories offer, searches that set numbers aside, purchases, releases
/// and capability changes, reservations and operator information. The inventory (deployment-wide, in the directory)
/// decides who holds a number; the resource's store keeps what the resource knows of its numbers.
///
/// The ACS operations that are long-running (search, purchase, release, capability update, reservation purchase)
/// do their work before they answer and record an operation that is already finished, so the first poll ends them.
public struct NumbersService: Sendable {
    let inventory: NumberInventory
    let changes: Changes
    let clock: any WallClock

    /// How long a search sets its numbers aside (ACS: about 15 minutes).
    public static let searchHold: Duration = .seconds(15 * 60)
    /// A reservation lives 15 minutes after its last change, and at most 2 hours after its creation (ACS).
    public static let reservationHold: Duration = .seconds(15 * 60)
    public static let reservationLifetime: Duration = .seconds(2 * 3600)
    /// The most numbers one search may ask for.
    public static let maximumQuantity = 100
    /// How many numbers a browse offers.
    public static let browseSize = 20

    public init(inventory: NumberInventory, changes: Changes, clock: any WallClock) {
        self.inventory = inventory
        self.changes = changes
        self.clock = clock
    }

    // MARK: What is offered

    func country(_ code: String) throws(NumbersError) -> SandboxCatalog.Country {
        guard let country = SandboxCatalog.country(code) else { throw .unknownCountry(code) }
        return country
    }

    func offering(country: String, type: PhoneNumberType, assignment: NumberAssignmentType) throws(NumbersError) -> SandboxCatalog.Offering {
        guard let offering = SandboxCatalog.offerings(country: country, type: type, assignmentType: assignment.rawValue).first else {
            throw .typeNotOffered(country: country.uppercased(), type: type)
        }
        return offering
    }

    static func cost(_ offering: SandboxCatalog.Offering) -> NumberCost {
        NumberCost(amount: offering.monthlyCost, currencyCode: offering.currency)
    }

    /// The strongest capabilities the offering allows; 400 when `requested` asks for more.
    static func check(_ requested: NumberCapabilities, against offering: SandboxCatalog.Offering) throws(NumbersError) {
        func allows(_ offered: String, _ wanted: NumberCapabilityValue) -> Bool {
            guard let offered = NumberCapabilityValue(rawValue: offered) else { return wanted == .none }
            switch wanted {
            case .none: return true
            case .inbound: return offered.receivesInbound
            case .outbound: return offered.sendsOutbound
            case .inboundOutbound: return offered == .inboundOutbound
            }
        }
        guard allows(offering.calling, requested.calling) else {
            throw .invalid("Calling '\(requested.calling.rawValue)' is not offered for these numbers.", target: "capabilities.calling")
        }
        guard allows(offering.sms, requested.sms) else {
            throw .invalid("SMS '\(requested.sms.rawValue)' is not offered for these numbers.", target: "capabilities.sms")
        }
    }

    // MARK: Searches and purchases

    public struct SearchRequest: Sendable {
        public var type: PhoneNumberType
        public var assignment: NumberAssignmentType
        public var capabilities: NumberCapabilities
        public var areaCode: String?
        public var quantity: Int
    }

    /// Finds `quantity` numbers and sets them aside for the search; the operation fails (`OutOfStock`) when the
    /// inventory has too few.
    public func search(country code: String, _ request: SearchRequest, in resource: ResourceHandle) async throws -> NumberOperation {
        let country = try country(code)
        let offering = try offering(country: country.code, type: request.type, assignment: request.assignment)
        try Self.check(request.capabilities, against: offering)
        guard (1...Self.maximumQuantity).contains(request.quantity) else {
            throw NumbersError.invalid("quantity must be between 1 and \(Self.maximumQuantity).", target: "quantity")
        }
        if let areaCode = request.areaCode,
            !SandboxCatalog.areaCodes(country: country.code, type: request.type).contains(where: { $0.code == areaCode })
        {
            throw NumbersError.invalid("No \(request.type.rawValue) numbers are offered in area code \(areaCode).", target: "areaCode")
        }
        let now = clock.now
        let id = UUID().uuidString.lowercased()
        let hold = NumberInventory.Hold(key: "search:\(id)", resourceID: resource.storageID, until: now.adding(Self.searchHold))
        var numbers: [String] = []
        // Another search may take a number between the offer and the hold: try again with what is left.
        for _ in 0..<3 where numbers.isEmpty {
            let offered = try await inventory.available(
                country: country.code, type: request.type, areaCode: request.areaCode, limit: request.quantity, now: now)
            guard offered.count == request.quantity else { break }
            if try await inventory.hold(offered, country: country.code, type: request.type, as: hold, now: now).isEmpty {
                numbers = offered
            }
        }
        var operation = NumberOperation(
            id: "search_\(id)", operationType: .search, status: .succeeded, resourceLocation: nil, createdDateTime: now.date,
            lastActionDateTime: now.date)
        if numbers.isEmpty {
            operation.status = .failed
            operation.error = .init(
                code: "OutOfStock",
                message: "The inventory has fewer than \(request.quantity) free \(request.type.rawValue) numbers of \(country.code)"
                    + (request.areaCode.map { " in area code \($0)" } ?? "") + ".")
        }
        let result = NumberSearchResult(
            searchId: id, phoneNumbers: numbers, phoneNumberType: request.type, assignmentType: request.assignment,
            capabilities: request.capabilities, cost: Self.cost(offering), searchExpiresBy: hold.until.date, countryCode: country.code)
        let recorded = operation
        let found = numbers
        try await changes.run(in: resource) { tx in
            if !found.isEmpty { try await NumbersStore.insert(result, resource: resource, in: tx.db) }
            try await NumbersStore.insert(recorded, resource: resource, in: tx.db)
        }
        return operation
    }

    public func searchResult(_ id: String, in resource: ResourceHandle) async throws -> NumberSearchResult {
        guard let search = try await resource.store.read({ db in try await NumbersStore.search(id, resource: resource, in: db) }) else {
            throw NumbersError.searchNotFound(id)
        }
        return search
    }

    /// Buys the numbers of a search.
    public func purchase(search id: String, agreeToNotResell: Bool, in resource: ResourceHandle) async throws -> NumberOperation {
        let search = try await searchResult(id, in: resource)
        let now = clock.now
        guard !search.purchased else { throw NumbersError.searchPurchased(id) }
        guard Timestamp(search.searchExpiresBy) >= now else { throw NumbersError.searchExpired(id) }
        if search.isAgreementToNotResellRequired && !agreeToNotResell { throw NumbersError.agreementRequired }
        let lapsed = try await inventory.assign(search.phoneNumbers, holdKey: "search:\(id)", to: resource.storageID, now: now)
        guard lapsed.isEmpty else { throw NumbersError.searchExpired(id) }
        let operation = NumberOperation(
            id: "purchase_\(UUID().uuidString.lowercased())", operationType: .purchase, status: .succeeded, createdDateTime: now.date,
            lastActionDateTime: now.date)
        try await record(
            search.phoneNumbers.map { number in
                PurchasedPhoneNumber(
                    id: String(number.dropFirst()), phoneNumber: number, countryCode: search.countryCode, phoneNumberType: search.phoneNumberType,
                    capabilities: search.capabilities, assignmentType: search.assignmentType, purchaseDate: now.date, cost: search.cost)
            }, operation: operation, in: resource
        ) { db in try await NumbersStore.markPurchased(search: id, resource: resource, in: db) }
        return operation
    }

    /// Writes bought numbers to the resource's store; if that fails, the inventory takes them back, so a number is
    /// never held in the directory by a resource that does not know it.
    func record(
        _ numbers: [PurchasedPhoneNumber], operation: NumberOperation, in resource: ResourceHandle,
        also: @escaping @Sendable (any SQLDatabase) async throws -> Void
    ) async throws {
        do {
            try await changes.run(in: resource) { tx in
                for number in numbers { try await NumbersStore.insert(number, resource: resource, in: tx.db) }
                try await NumbersStore.insert(operation, resource: resource, in: tx.db)
                try await also(tx.db)
            }
        } catch {
            for number in numbers { try? await inventory.release(number.phoneNumber, from: resource.storageID) }
            throw error
        }
    }

    // MARK: The resource's numbers

    public func number(_ number: String, in resource: ResourceHandle) async throws -> PurchasedPhoneNumber {
        guard let found = try await resource.store.read({ db in try await NumbersStore.number(number, resource: resource, in: db) }) else {
            throw NumbersError.numberNotFound(number)
        }
        return found
    }

    public func numbers(skip: Int, limit: Int, in resource: ResourceHandle) async throws -> [PurchasedPhoneNumber] {
        try await resource.store.read { db in try await NumbersStore.numbers(skip: skip, limit: limit, resource: resource, in: db) }
    }

    /// Gives a number back to its inventory and deletes what the resource kept about it.
    public func release(_ number: String, in resource: ResourceHandle) async throws -> NumberOperation {
        let now = clock.now
        let operation = NumberOperation(
            id: "release_\(UUID().uuidString.lowercased())", operationType: .releasePhoneNumber, status: .succeeded, createdDateTime: now.date,
            lastActionDateTime: now.date)
        let held = try await changes.run(in: resource) { tx in
            guard try await NumbersStore.number(number, resource: resource, in: tx.db) != nil else { return false }
            try await NumbersStore.delete(number: number, resource: resource, in: tx.db)
            try await NumbersStore.insert(operation, resource: resource, in: tx.db)
            return true
        }
        // A release cut short after the store forgot the number still finishes here.
        if !held {
            guard try await inventory.holder(of: number) == resource.storageID else { throw NumbersError.numberNotFound(number) }
        }
        try await inventory.release(number, from: resource.storageID)
        return operation
    }

    /// Changes what a number may do, within what its offering allows.
    public func updateCapabilities(
        of number: String, calling: NumberCapabilityValue?, sms: NumberCapabilityValue?, in resource: ResourceHandle
    ) async throws -> (PurchasedPhoneNumber, NumberOperation) {
        let now = clock.now
        var found = try await self.number(number, in: resource)
        found.capabilities.calling = calling ?? found.capabilities.calling
        found.capabilities.sms = sms ?? found.capabilities.sms
        try Self.check(
            found.capabilities, against: try offering(country: found.countryCode, type: found.phoneNumberType, assignment: found.assignmentType))
        let operation = NumberOperation(
            id: "capabilities_\(UUID().uuidString.lowercased())", operationType: .updatePhoneNumberCapabilities, status: .succeeded,
            createdDateTime: now.date, lastActionDateTime: now.date)
        let updated = found
        try await changes.run(in: resource) { tx in
            try await NumbersStore.update(updated, resource: resource, in: tx.db)
            try await NumbersStore.insert(operation, resource: resource, in: tx.db)
        }
        return (updated, operation)
    }

    public func operation(_ id: String, in resource: ResourceHandle) async throws -> NumberOperation {
        guard let found = try await resource.store.read({ db in try await NumbersStore.operation(id, resource: resource, in: db) }) else {
            throw NumbersError.operationNotFound(id)
        }
        return found
    }

    /// Cancelling an operation that has already finished only forgets it.
    public func cancelOperation(_ id: String, in resource: ResourceHandle) async throws {
        _ = try await operation(id, in: resource)
        try await changes.run(in: resource) { tx in try await NumbersStore.deleteOperation(id, resource: resource, in: tx.db) }
    }

    /// Whether the resource holds `number` with outbound SMS.
    public func sendsSMS(from number: String, in resource: ResourceHandle, db: any SQLDatabase) async throws -> Bool {
        try await NumbersStore.sendsSMS(from: number, resource: resource, in: db)
    }
}
