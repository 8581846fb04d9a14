import Foundation
import SQLKit

/// Where phone numbers come from, deployment-wide (the directory's `phone_number_inventory`): the sandbox
/// inventory, which offers generated numbers of ``SandboxCatalog``, and operator inventories of numbers really
/// held at a carrier (`switchboard numbers inventory add`). Once an operator has numbers of a country and type,
/// searches of that country and type offer only those.
///
/// A number belongs to one resource at a time: a row names its holder, or a search or reservation that set it aside
/// until a time. Every change runs under the directory's write lock, so two resources never take the same number.
public struct NumberInventory: Sendable {
    public let directory: Directory

    public init(directory: Directory) {
        self.directory = directory
    }

    public enum Source: String, Sendable, Codable {
        case sandbox
        case `operator`
    }

    /// One number of the inventory, as the CLI lists it.
    public struct Entry: Sendable, Encodable, Equatable {
        public let phoneNumber: String
        public let country: String
        public let type: PhoneNumberType
        public let source: Source
        public let carrier: String?
        /// The id of the resource that holds it.
        public let resourceID: String?
    }

    /// What a search or a reservation sets numbers aside under.
    public struct Hold: Sendable {
        public let key: String
        public let resourceID: String
        public let until: Timestamp
    }

    static let columns = ["number", "country", "type", "source", "carrier", "resource_id"]

    // MARK: The operator's inventory

    /// Adds numbers the operator holds at `carrier`; numbers already in the inventory are refused as a whole.
    public func add(_ numbers: [String], country: String, type: PhoneNumberType, carrier: String) async throws {
        let country = country.uppercased()
        let now = directory.clock.now
        try await directory.write { db in
            let present = try await db.select().column("number").from("phone_number_inventory").where("number", .in, numbers)
                .all(decodingColumn: "number", as: String.self)
            guard present.isEmpty else { throw NumbersError.alreadyInInventory(present.sorted()) }
            for number in numbers {
                try await db.insert(into: "phone_number_inventory")
                    .columns("number", "country", "type", "source", "carrier", "added_at")
                    .values(
                        SQLBind(number), SQLBind(country), SQLBind(type.rawValue), SQLBind(Source.operator.rawValue), SQLBind(carrier),
                        SQLBind(now.milliseconds)
                    ).run()
            }
        }
    }

    /// Removes operator numbers that no resource holds.
    public func remove(_ numbers: [String]) async throws {
        try await directory.write { db in
            let rows = try await db.select().columns(Self.columns).from("phone_number_inventory").where("number", .in, numbers).all()
            let entries = try rows.map(Self.entry)
            let missing = Set(numbers).subtracting(entries.map(\.phoneNumber))
            guard missing.isEmpty else { throw NumbersError.notInInventory(missing.sorted()) }
            let held = entries.filter { $0.resourceID != nil || $0.source == .sandbox }.map(\.phoneNumber)
            guard held.isEmpty else { throw NumbersError.numberHeld(held.sorted()) }
            try await db.delete(from: "phone_number_inventory").where("number", .in, numbers).run()
        }
    }

    /// Every number of the inventory: the operator's, and the sandbox numbers resources hold.
    public func entries() async throws -> [Entry] {
        try await directory.database.read { db in
            try await db.select().columns(Self.columns).from("phone_number_inventory")
                .where { $0.where("source", .equal, Source.operator.rawValue).orWhere("resource_id", .isNot, SQLLiteral.null) }
                .orderBy("number").all().map(Self.entry)
        }
    }

    static func entry(_ row: any SQLRow) throws -> Entry {
        Entry(
            phoneNumber: try row.decode(column: "number", as: String.self), country: try row.decode(column: "country", as: String.self),
            type: PhoneNumberType(rawValue: try row.decode(column: "type", as: String.self)) ?? .geographic,
            source: Source(rawValue: try row.decode(column: "source", as: String.self)) ?? .sandbox,
            carrier: try row.decode(column: "carrier", as: String?.self), resourceID: try row.decode(column: "resource_id", as: String?.self))
    }

    /// The inventory entry of `number`, if it has one.
    public func entry(_ number: String) async throws -> Entry? {
        try await directory.database.read { db in
            try await db.select().columns(Self.columns).from("phone_number_inventory").where("number", .equal, number).first().map(Self.entry)
        }
    }

    // MARK: Offering numbers

    /// Whether searches of `country` and `type` offer the operator's numbers rather than the sandbox's.
    public func usesOperatorNumbers(country: String, type: PhoneNumberType) async throws -> Bool {
        try await directory.database.read { db in try await Self.hasOperatorNumbers(country: country, type: type, in: db) }
    }

    static func hasOperatorNumbers(country: String, type: PhoneNumberType, in db: any SQLDatabase) async throws -> Bool {
        try await db.select().column("number").from("phone_number_inventory").where("country", .equal, country.uppercased())
            .where("type", .equal, type.rawValue).where("source", .equal, Source.operator.rawValue).limit(1).first() != nil
    }

    /// Rows no resource holds and no live search or reservation has set aside.
    static func free(_ query: SQLSelectBuilder, now: Timestamp) -> SQLSelectBuilder {
        query.where("resource_id", .is, SQLLiteral.null)
            .where { $0.where("held_until", .is, SQLLiteral.null).orWhere("held_until", .lessThan, now.milliseconds) }
    }

    /// Up to `limit` free numbers of `country` and `type`, in a stable order, optionally within an area code or
    /// starting with one of `prefixes` (digits after the `+`, or the national number).
    public func available(
        country: String, type: PhoneNumberType, areaCode: String? = nil, prefixes: [String] = [], limit: Int, now: Timestamp
    ) async throws -> [String] {
        try await directory.database.read { db in
            try await Self.available(country: country, type: type, areaCode: areaCode, prefixes: prefixes, limit: limit, now: now, in: db)
        }
    }

    static func available(
        country: String, type: PhoneNumberType, areaCode: String?, prefixes: [String], limit: Int, now: Timestamp, in db: any SQLDatabase
    ) async throws -> [String] {
        guard limit > 0 else { return [] }
        let callingCode = SandboxCatalog.country(country)?.callingCode ?? ""
        if try await hasOperatorNumbers(country: country, type: type, in: db) {
            let rows = try await free(
                db.select().column("number").from("phone_number_inventory").where("country", .equal, country.uppercased())
                    .where("type", .equal, type.rawValue).where("source", .equal, Source.operator.rawValue), now: now
            ).orderBy("number").all(decodingColumn: "number", as: String.self)
            return Array(
                rows.filter { number in
                    let national = String(number.dropFirst(1 + callingCode.count))
                    if let areaCode, !national.hasPrefix(areaCode) { return false }
                    return prefixes.isEmpty || prefixes.contains { number.dropFirst().hasPrefix($0) || national.hasPrefix($0) }
                }.prefix(limit))
        }
        // The sandbox's numbers, less those taken: candidates are checked against the inventory a batch at a time.
        var found: [String] = []
        var batch: [String] = []
        var examined = 0
        func take(_ batch: [String]) async throws {
            let taken = Set(
                try await db.select().column("number").from("phone_number_inventory").where("number", .in, batch)
                    .where {
                        $0.where("resource_id", .isNot, SQLLiteral.null).orWhere("held_until", .greaterThanOrEqual, now.milliseconds)
                    }
                    .all(decodingColumn: "number", as: String.self))
            found += batch.filter { !taken.contains($0) }.prefix(limit - found.count)
        }
        for number in SandboxCatalog.candidates(country: country, type: type, areaCode: areaCode, prefixes: prefixes) {
            batch.append(number)
            examined += 1
            if batch.count == 100 {
                try await take(batch)
                batch = []
                if found.count >= limit { break }
            }
            // Past this, the sandbox has no more numbers for these arguments worth looking for.
            if examined >= 100_000 { break }
        }
        if found.count < limit, !batch.isEmpty { try await take(batch) }
        return found
    }

    // MARK: Holding and assigning

    /// Sets `numbers` aside under `hold` if every one is free; returns those that were not (nothing is held then).
    public func hold(_ numbers: [String], country: String, type: PhoneNumberType, as hold: Hold, now: Timestamp) async throws -> [String] {
        try await directory.write { db in
            try await Self.hold(numbers, country: country, type: type, as: hold, now: now, in: db)
        }
    }

    static func hold(_ numbers: [String], country: String, type: PhoneNumberType, as hold: Hold, now: Timestamp, in db: any SQLDatabase)
        async throws -> [String]
    {
        guard !numbers.isEmpty else { return [] }
        let rows = try await db.select().columns(columns + ["hold_key", "hold_resource", "held_until"]).from("phone_number_inventory")
            .where("number", .in, numbers).all()
        var existing: [String: Bool] = [:]
        for row in rows {
            let entry = try entry(row)
            let until = try row.decode(column: "held_until", as: Int64?.self)
            let key = try row.decode(column: "hold_key", as: String?.self)
            let holder = try row.decode(column: "hold_resource", as: String?.self)
            let heldByThis = key == hold.key && holder == hold.resourceID
            existing[entry.phoneNumber] = entry.resourceID == nil && (until.map { $0 < now.milliseconds } ?? true || heldByThis)
        }
        let operatorOnly = try await hasOperatorNumbers(country: country, type: type, in: db)
        // A number without a row is free only where the sandbox offers numbers, and only if it is one of that country
        // and type in the numbering plan (a developer may pick one the sandbox did not offer).
        let unavailable = numbers.filter { number in
            if let free = existing[number] { return !free }
            guard !operatorOnly, let described = SandboxCatalog.describe(number) else { return true }
            // NANP toll-free numbers are shared by every country of the plan.
            return described.type != type || (type != .tollFree && described.country != country.uppercased())
        }
        guard unavailable.isEmpty else { return unavailable }
        for number in numbers {
            if existing[number] != nil {
                try await db.update("phone_number_inventory").set("hold_key", to: hold.key).set("hold_resource", to: hold.resourceID)
                    .set("held_until", to: hold.until.milliseconds).where("number", .equal, number).run()
            } else {
                try await db.insert(into: "phone_number_inventory")
                    .columns("number", "country", "type", "source", "hold_key", "hold_resource", "held_until", "added_at")
                    .values(
                        SQLBind(number), SQLBind(country.uppercased()), SQLBind(type.rawValue), SQLBind(Source.sandbox.rawValue),
                        SQLBind(hold.key), SQLBind(hold.resourceID), SQLBind(hold.until.milliseconds), SQLBind(now.milliseconds)
                    ).run()
            }
        }
        return []
    }

    /// Gives up what `hold` set aside (a deleted reservation, numbers removed from one).
    public func unhold(key: String, resourceID: String, numbers: [String]? = nil) async throws {
        try await directory.write { db in
            let update = db.update("phone_number_inventory").set("hold_key", to: SQLLiteral.null).set("hold_resource", to: SQLLiteral.null)
                .set("held_until", to: SQLLiteral.null).where("hold_key", .equal, key).where("hold_resource", .equal, resourceID)
            if let numbers { update.where("number", .in, numbers) }
            try await update.run()
            try await Self.forgetUnheldSandboxNumbers(in: db)
        }
    }

    /// Makes `resourceID` the holder of `numbers`, which `key` must still hold at `now`; returns the numbers whose
    /// hold had lapsed (nothing is assigned then).
    public func assign(_ numbers: [String], holdKey key: String, to resourceID: String, now: Timestamp) async throws -> [String] {
        try await directory.write { db in
            let held = Set(
                try await db.select().column("number").from("phone_number_inventory").where("number", .in, numbers)
                    .where("hold_key", .equal, key).where("hold_resource", .equal, resourceID)
                    .where("held_until", .greaterThanOrEqual, now.milliseconds).where("resource_id", .is, SQLLiteral.null)
                    .all(decodingColumn: "number", as: String.self))
            let lapsed = numbers.filter { !held.contains($0) }
            guard lapsed.isEmpty else { return lapsed }
            try await db.update("phone_number_inventory").set("resource_id", to: resourceID).set("hold_key", to: SQLLiteral.null)
                .set("hold_resource", to: SQLLiteral.null).set("held_until", to: SQLLiteral.null).where("number", .in, numbers).run()
            return []
        }
    }

    /// Returns `number` to its inventory: an operator's number becomes free again, a sandbox number is forgotten.
    public func release(_ number: String, from resourceID: String) async throws {
        try await directory.write { db in
            try await db.update("phone_number_inventory").set("resource_id", to: SQLLiteral.null).where("number", .equal, number)
                .where("resource_id", .equal, resourceID).run()
            try await Self.forgetUnheldSandboxNumbers(in: db)
        }
    }

    /// Frees every number a deleted resource held or had set aside (inside the directory's write).
    static func releaseAll(of resourceID: String, in db: any SQLDatabase) async throws {
        try await db.update("phone_number_inventory").set("resource_id", to: SQLLiteral.null).where("resource_id", .equal, resourceID).run()
        try await db.update("phone_number_inventory").set("hold_key", to: SQLLiteral.null).set("hold_resource", to: SQLLiteral.null)
            .set("held_until", to: SQLLiteral.null).where("hold_resource", .equal, resourceID).run()
        try await forgetUnheldSandboxNumbers(in: db)
    }

    /// Sandbox numbers nobody holds or sets aside have no row (lapsed holds are left until the next change: they
    /// count as free).
    static func forgetUnheldSandboxNumbers(in db: any SQLDatabase) async throws {
        try await db.delete(from: "phone_number_inventory").where("source", .equal, Source.sandbox.rawValue)
            .where("resource_id", .is, SQLLiteral.null).where("held_until", .is, SQLLiteral.null).run()
    }

    /// The id of the resource that holds `number` (inbound messages find their resource this way).
    public func holder(of number: String) async throws -> String? {
        try await directory.database.read { db in
            try await db.select().column("resource_id").from("phone_number_inventory").where("number", .equal, number)
                .first(decodingColumn: "resource_id", as: String?.self) ?? nil
        }
    }
}
