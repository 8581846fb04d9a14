import Foundation
import SQLKit

/// The queries of the phone numbers tables; every one is scoped to a resource.
enum NumbersStore {
    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try JSONBody.encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ row: any SQLRow) throws -> T {
        try JSONBody.decoder.decode(type, from: Data(try row.decode(column: "document", as: String.self).utf8))
    }

    // MARK: Purchased numbers

    static func insert(_ number: PurchasedPhoneNumber, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.insert(into: "phone_numbers").columns("resource_id", "number", "sms", "document", "purchased_at")
            .values(
                SQLBind(resource.storageID), SQLBind(number.phoneNumber), SQLBind(number.capabilities.sms.rawValue), SQLBind(try encode(number)),
                SQLBind(Timestamp(number.purchaseDate).milliseconds)
            ).run()
    }

    static func update(_ number: PurchasedPhoneNumber, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.update("phone_numbers").set("sms", to: number.capabilities.sms.rawValue).set("document", to: try encode(number))
            .where("resource_id", .equal, resource.storageID).where("number", .equal, number.phoneNumber).run()
    }

    static func number(_ number: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> PurchasedPhoneNumber? {
        try await db.select().column("document").from("phone_numbers").where("resource_id", .equal, resource.storageID)
            .where("number", .equal, number).first().map { try decode(PurchasedPhoneNumber.self, $0) }
    }

    static func numbers(skip: Int, limit: Int, resource: ResourceHandle, in db: any SQLDatabase) async throws -> [PurchasedPhoneNumber] {
        try await db.select().column("document").from("phone_numbers").where("resource_id", .equal, resource.storageID)
            .orderBy("purchased_at").orderBy("number").offset(skip).limit(limit).all().map { try decode(PurchasedPhoneNumber.self, $0) }
    }

    static func delete(number: String, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.delete(from: "phone_numbers").where("resource_id", .equal, resource.storageID).where("number", .equal, number).run()
    }

    // MARK: Searches

    static func insert(_ search: NumberSearchResult, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.insert(into: "phone_number_searches").columns("resource_id", "id", "country", "purchased", "document", "expires_at")
            .values(
                SQLBind(resource.storageID), SQLBind(search.searchId), SQLBind(search.countryCode), SQLBind(0), SQLBind(try encode(search)),
                SQLBind(Timestamp(search.searchExpiresBy).milliseconds)
            ).run()
    }

    static func search(_ id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> NumberSearchResult? {
        guard
            let row = try await db.select().columns("document", "country", "purchased").from("phone_number_searches")
                .where("resource_id", .equal, resource.storageID).where("id", .equal, id).first()
        else { return nil }
        var search = try decode(NumberSearchResult.self, row)
        search.countryCode = try row.decode(column: "country", as: String.self)
        search.purchased = try row.decode(column: "purchased", as: Int.self) != 0
        return search
    }

    static func markPurchased(search id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.update("phone_number_searches").set("purchased", to: 1).where("resource_id", .equal, resource.storageID)
            .where("id", .equal, id).run()
    }

    // MARK: Reservations

    static func save(_ reservation: NumberReservation, created: Timestamp?, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        if let created {
            try await db.insert(into: "phone_number_reservations").columns("resource_id", "id", "document", "expires_at", "created_at")
                .values(
                    SQLBind(resource.storageID), SQLBind(reservation.id), SQLBind(try encode(reservation)),
                    SQLBind(Timestamp(reservation.expiresAt).milliseconds), SQLBind(created.milliseconds)
                ).run()
        } else {
            try await db.update("phone_number_reservations").set("document", to: try encode(reservation))
                .set("expires_at", to: Timestamp(reservation.expiresAt).milliseconds).where("resource_id", .equal, resource.storageID)
                .where("id", .equal, reservation.id).run()
        }
    }

    static func reservation(_ id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> (NumberReservation, Timestamp)? {
        guard
            let row = try await db.select().columns("document", "created_at").from("phone_number_reservations")
                .where("resource_id", .equal, resource.storageID).where("id", .equal, id).first()
        else { return nil }
        return (try decode(NumberReservation.self, row), Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)))
    }

    static func reservations(after: String?, limit: Int, resource: ResourceHandle, in db: any SQLDatabase) async throws -> [NumberReservation] {
        let query = db.select().column("document").from("phone_number_reservations").where("resource_id", .equal, resource.storageID)
        if let after { query.where("id", .greaterThan, after) }
        return try await query.orderBy("id").limit(limit).all().map { try decode(NumberReservation.self, $0) }
    }

    static func deleteReservation(_ id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.delete(from: "phone_number_reservations").where("resource_id", .equal, resource.storageID).where("id", .equal, id).run()
    }

    // MARK: Operations

    static func insert(_ operation: NumberOperation, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.insert(into: "phone_number_operations").columns("resource_id", "id", "document", "created_at")
            .values(
                SQLBind(resource.storageID), SQLBind(operation.id), SQLBind(try encode(operation)),
                SQLBind(Timestamp(operation.createdDateTime).milliseconds)
            ).run()
    }

    static func operation(_ id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> NumberOperation? {
        try await db.select().column("document").from("phone_number_operations").where("resource_id", .equal, resource.storageID)
            .where("id", .equal, id).first().map { try decode(NumberOperation.self, $0) }
    }

    static func deleteOperation(_ id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.delete(from: "phone_number_operations").where("resource_id", .equal, resource.storageID).where("id", .equal, id).run()
    }

    /// Whether the resource holds `number` with outbound SMS (the SMS sender check).
    static func sendsSMS(from number: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Bool {
        let sms = try await db.select().column("sms").from("phone_numbers").where("resource_id", .equal, resource.storageID)
            .where("number", .equal, number).first(decodingColumn: "sms", as: String.self)
        return sms.flatMap(NumberCapabilityValue.init(rawValue:))?.sendsOutbound ?? false
    }
}
