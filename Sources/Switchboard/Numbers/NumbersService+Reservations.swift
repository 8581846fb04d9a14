import Foundation

/// Browsing offered numbers, reserving them and buying a reservation; operator information.
extension NumbersService {
    public struct BrowseRequest: Sendable {
        public var type: PhoneNumberType
        public var assignment: NumberAssignmentType
        public var capabilities: NumberCapabilities
        public var prefixes: [String]
    }

    /// Numbers free to reserve now (not set aside), at most ``browseSize``.
    public func browse(country code: String, _ request: BrowseRequest) async throws -> [AvailablePhoneNumber] {
        let country = try country(code)
        let offering = try offering(country: country.code, type: request.type, assignment: request.assignment)
        try Self.check(request.capabilities, against: offering)
        for prefix in request.prefixes where prefix.isEmpty || !prefix.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            throw NumbersError.invalid("A phone number prefix is digits only: '\(prefix)'.", target: "phoneNumberPrefixes")
        }
        let numbers = try await inventory.available(
            country: country.code, type: request.type, prefixes: request.prefixes, limit: Self.browseSize, now: clock.now)
        return numbers.map { number in
            AvailablePhoneNumber(
                id: String(number.dropFirst()), countryCode: country.code, phoneNumber: number, capabilities: request.capabilities,
                phoneNumberType: request.type, assignmentType: request.assignment, cost: Self.cost(offering), status: .available,
                isAgreementToNotResellRequired: false)
        }
    }

    /// The result of a reservation change: the reservation, whether it is new, and whether any number failed.
    public struct ReservationChange: Sendable {
        public let reservation: NumberReservation
        public let created: Bool
        public let partial: Bool
    }

    /// Adds numbers to a reservation (creating it) and removes others (`nil` entries). A number that cannot be
    /// reserved is returned with status `error`; the others are reserved. Every change extends the reservation to 15
    /// minutes after it, up to 2 hours after its creation.
    public func updateReservation(
        _ id: String, changes requested: [String: AvailablePhoneNumber?], in resource: ResourceHandle
    ) async throws -> ReservationChange {
        guard UUID(uuidString: id) != nil else { throw NumbersError.invalid("The reservation id must be a UUID.", target: "reservationId") }
        let now = clock.now
        let existing = try await resource.store.read { db in try await NumbersStore.reservation(id.lowercased(), resource: resource, in: db) }
        let created = existing?.1 ?? now
        var reservation =
            existing?.0 ?? NumberReservation(id: id.lowercased(), expiresAt: now.date, phoneNumbers: [:], status: .active)
        if existing != nil, reservation.status == .active, Timestamp(reservation.expiresAt) < now { reservation.status = .expired }
        guard reservation.status == .active else { throw NumbersError.reservationNotActive(reservation.id, reservation.status) }
        let until = min(now.adding(Self.reservationHold), created.adding(Self.reservationLifetime))
        let key = "reservation:\(reservation.id)"
        let removed = requested.filter { $0.value == nil }.map(\.key)
        if !removed.isEmpty {
            try await inventory.unhold(key: key, resourceID: resource.storageID, numbers: removed.map { "+\($0)" })
            for id in removed { reservation.phoneNumbers[id] = nil }
        }
        var partial = false
        for (numberID, wanted) in requested.sorted(by: { $0.key < $1.key }) {
            guard let wanted else { continue }
            var entry = wanted
            entry.id = numberID
            entry.phoneNumber = "+\(numberID)"
            entry.countryCode = wanted.countryCode.uppercased()
            do {
                guard numberID.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), !numberID.isEmpty else {
                    throw NumbersError.invalid("'\(numberID)' is not the id of an offered number.", target: "phoneNumbers")
                }
                let offering = try offering(country: entry.countryCode, type: entry.phoneNumberType, assignment: entry.assignmentType)
                try Self.check(entry.capabilities, against: offering)
                entry.cost = Self.cost(offering)
                let refused = try await inventory.hold(
                    [entry.phoneNumber], country: entry.countryCode, type: entry.phoneNumberType,
                    as: .init(key: key, resourceID: resource.storageID, until: until), now: now)
                if refused.isEmpty {
                    entry.status = .reserved
                    entry.error = nil
                } else {
                    entry.status = .error
                    entry.error = .init(code: "PhoneNumberNotAvailable", message: "\(entry.phoneNumber) is not available.")
                }
            } catch let error as NumbersError {
                entry.status = .error
                entry.error = .init(code: error.apiError.code, message: error.apiError.message)
            }
            partial = partial || entry.status == .error
            reservation.phoneNumbers[numberID] = entry
        }
        // Numbers already reserved move with the reservation's new expiry.
        let kept = reservation.phoneNumbers.values.filter { $0.status == .reserved }
        for number in kept where requested[number.id] == nil {
            _ = try await inventory.hold(
                [number.phoneNumber], country: number.countryCode, type: number.phoneNumberType,
                as: .init(key: key, resourceID: resource.storageID, until: until), now: now)
        }
        reservation.expiresAt = until.date
        let saved = reservation
        try await changes.run(in: resource) { tx in
            try await NumbersStore.save(saved, created: existing == nil ? now : nil, resource: resource, in: tx.db)
        }
        return ReservationChange(reservation: saved, created: existing == nil, partial: partial)
    }

    public func reservation(_ id: String, in resource: ResourceHandle) async throws -> NumberReservation {
        guard var found = try await resource.store.read({ db in try await NumbersStore.reservation(id.lowercased(), resource: resource, in: db) })?.0
        else { throw NumbersError.reservationNotFound(id) }
        if found.status == .active, Timestamp(found.expiresAt) < clock.now {
            found.status = .expired
            for key in found.phoneNumbers.keys where found.phoneNumbers[key]?.status == .reserved { found.phoneNumbers[key]?.status = .expired }
        }
        return found
    }

    /// Reservations, without their numbers (as ACS lists them).
    public func reservations(after: String?, limit: Int, in resource: ResourceHandle) async throws -> [NumberReservation] {
        let now = clock.now
        return try await resource.store.read { db in try await NumbersStore.reservations(after: after, limit: limit, resource: resource, in: db) }
            .map { reservation in
                var listed = reservation
                listed.phoneNumbers = [:]
                if listed.status == .active, Timestamp(listed.expiresAt) < now { listed.status = .expired }
                return listed
            }
    }

    /// Deletes a reservation and frees what it held.
    public func deleteReservation(_ id: String, in resource: ResourceHandle) async throws {
        let found = try await reservation(id, in: resource)
        if found.status != .completed {
            try await inventory.unhold(key: "reservation:\(found.id)", resourceID: resource.storageID)
        }
        try await changes.run(in: resource) { tx in try await NumbersStore.deleteReservation(found.id, resource: resource, in: tx.db) }
    }

    /// Buys the reserved numbers of a reservation.
    public func purchase(reservation id: String, agreeToNotResell: Bool, in resource: ResourceHandle) async throws -> NumberOperation {
        var found = try await reservation(id, in: resource)
        guard found.status == .active else { throw NumbersError.reservationNotActive(found.id, found.status) }
        let reserved = found.phoneNumbers.values.filter { $0.status == .reserved }.sorted { $0.id < $1.id }
        guard !reserved.isEmpty else { throw NumbersError.invalid("The reservation holds no reserved numbers.", target: "reservationId") }
        if reserved.contains(where: \.isAgreementToNotResellRequired) && !agreeToNotResell { throw NumbersError.agreementRequired }
        let now = clock.now
        let lapsed = try await inventory.assign(reserved.map(\.phoneNumber), holdKey: "reservation:\(found.id)", to: resource.storageID, now: now)
        guard lapsed.isEmpty else { throw NumbersError.reservationNotActive(found.id, .expired) }
        for number in reserved { found.phoneNumbers[number.id]?.status = .purchased }
        found.status = .completed
        let operation = NumberOperation(
            id: "reservationPurchase_\(UUID().uuidString.lowercased())", operationType: .reservationPurchase, status: .succeeded,
            createdDateTime: now.date, lastActionDateTime: now.date)
        let completed = found
        try await record(
            reserved.map { number in
                PurchasedPhoneNumber(
                    id: number.id, phoneNumber: number.phoneNumber, countryCode: number.countryCode, phoneNumberType: number.phoneNumberType,
                    capabilities: number.capabilities, assignmentType: number.assignmentType, purchaseDate: now.date, cost: number.cost)
            }, operation: operation, in: resource
        ) { db in try await NumbersStore.save(completed, created: nil, resource: resource, in: db) }
        return operation
    }

    // MARK: Operator information

    public struct OperatorInformation: Sendable, Encodable {
        public struct Details: Sendable, Encodable {
            public let name: String
            public let mobileNetworkCode: String?
            public let mobileCountryCode: String?
        }

        public let phoneNumber: String
        public let nationalFormat: String?
        public let internationalFormat: String?
        public let isoCountryCode: String?
        public let numberType: String?
        public let operatorDetails: Details?
    }

    /// What is known of each number: its formats, country and type from the numbering plan, and, when asked, the
    /// carrier of an operator's number.
    public func operatorInformation(_ numbers: [String], includeDetails: Bool) async throws -> [OperatorInformation] {
        guard (1...100).contains(numbers.count) else {
            throw NumbersError.invalid("Between 1 and 100 phone numbers may be looked up at once.", target: "phoneNumbers")
        }
        var results: [OperatorInformation] = []
        for number in numbers {
            guard let normalized = MessagingAddress.phoneNumber(number), let described = SandboxCatalog.describe(normalized) else {
                throw NumbersError.invalid("'\(number)' is not an E.164 phone number.", target: "phoneNumbers")
            }
            var details: OperatorInformation.Details?
            if includeDetails, let carrier = try await inventory.entry(normalized)?.carrier {
                details = .init(name: carrier, mobileNetworkCode: nil, mobileCountryCode: nil)
            }
            // The operator-information API knows geographic and mobile numbers; anything else is "other".
            let type: String =
                switch described.type {
                case .geographic: "geographic"
                case .mobile: "mobile"
                case .tollFree: "other"
                case nil: "unknown"
                }
            results.append(
                OperatorInformation(
                    phoneNumber: normalized, nationalFormat: described.national, internationalFormat: described.international,
                    isoCountryCode: described.country, numberType: type, operatorDetails: details))
        }
        return results
    }
}
