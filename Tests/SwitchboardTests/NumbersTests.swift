import Foundation
import SQLKit
import Testing

@testable import Switchboard

/// Phone numbers and their inventories, on both engines, with the time of searches and reservations on a manual
/// clock. (Every method of the official SDK is driven in `conformance/test_phonenumbers.py`.)
@Suite struct NumbersTests {
    struct Fixture {
        let server: TestServer
        let numbers: NumbersService
        let inventory: NumberInventory
        let clock: ManualClock
        let first: ResourceHandle
        let second: ResourceHandle

        static let tollFree = NumbersService.SearchRequest(
            type: .tollFree, assignment: .application, capabilities: .init(calling: .none, sms: .inboundOutbound), areaCode: nil, quantity: 1)

        func search(_ resource: ResourceHandle, quantity: Int = 1, areaCode: String? = nil, type: PhoneNumberType = .tollFree) async throws
            -> (NumberOperation, NumberSearchResult?)
        {
            var request = Self.tollFree
            request.quantity = quantity
            request.areaCode = areaCode
            request.type = type
            let operation = try await numbers.search(country: "US", request, in: resource)
            let id = String(operation.id.dropFirst("search_".count))
            return (operation, try? await numbers.searchResult(id, in: resource))
        }
    }

    func withNumbers(engine: TestEngine, _ body: (Fixture) async throws -> Void) async throws {
        let clock = ManualClock()
        try await TestServer.with(engine: engine, clock: clock) { server in
            _ = try await server.createResource("first", in: .unitedStates)
            _ = try await server.createResource("second", in: .europe)
            let assembly = try server.assembly()
            let numbers = try #require(assembly.capability(NumbersCapability.self)).service
            try await body(
                Fixture(
                    server: server, numbers: numbers, inventory: NumberInventory(directory: server.runtime.directory), clock: clock,
                    first: try #require(try await server.runtime.resources.handle(named: "first")),
                    second: try #require(try await server.runtime.resources.handle(named: "second"))))
        }
    }

    @Test(arguments: TestEngine.available)
    func anOperatorNumberBelongsToOneResourceAtATimeAcrossGeographies(engine: TestEngine) async throws {
        try await withNumbers(engine: engine) { f in
            try await f.inventory.add(["+18005550100", "+18005550101"], country: "US", type: .tollFree, carrier: "acme")
            let (operation, search) = try await f.search(f.first, quantity: 2)
            #expect(operation.status == .succeeded)
            #expect(search?.phoneNumbers == ["+18005550100", "+18005550101"])
            // Set aside for the first resource's search: nothing is left for the second.
            let (refused, _) = try await f.search(f.second)
            #expect(refused.status == .failed)
            #expect(refused.error?.code == "OutOfStock")

            _ = try await f.numbers.purchase(search: try #require(search).searchId, agreeToNotResell: false, in: f.first)
            #expect(try await f.numbers.numbers(skip: 0, limit: 10, in: f.first).map(\.phoneNumber) == ["+18005550100", "+18005550101"])
            #expect(try await f.inventory.holder(of: "+18005550100") == f.first.storageID)
            await #expect(throws: NumbersError.self) { try await f.numbers.number("+18005550100", in: f.second) }
            await #expect(throws: NumbersError.self) { _ = try await f.numbers.release("+18005550100", in: f.second) }

            // Released, the number goes back to the operator's inventory and the first resource forgets it.
            _ = try await f.numbers.release("+18005550101", in: f.first)
            await #expect(throws: NumbersError.self) { try await f.numbers.number("+18005550101", in: f.first) }
            let (_, again) = try await f.search(f.second)
            #expect(again?.phoneNumbers == ["+18005550101"])
            #expect(try await f.inventory.entry("+18005550101")?.carrier == "acme")

            // Deleting a resource frees what it held.
            try await f.server.runtime.administration.delete(name: "first")
            #expect(try await f.inventory.holder(of: "+18005550100") == nil)
            await #expect(throws: NumbersError.self) { try await f.inventory.remove(["+18005550199"]) }
            try await f.inventory.remove(["+18005550100"])
            #expect(try await f.inventory.entry("+18005550100") == nil)
        }
    }

    @Test(arguments: TestEngine.available)
    func aSearchHoldsItsNumbersForFifteenMinutes(engine: TestEngine) async throws {
        try await withNumbers(engine: engine) { f in
            try await f.inventory.add(["+18335550100"], country: "US", type: .tollFree, carrier: "acme")
            let (_, held) = try await f.search(f.first)
            let search = try #require(held)
            #expect(search.searchExpiresBy == f.clock.now.adding(NumbersService.searchHold).date)
            f.clock.advance(by: .seconds(16 * 60))
            // The hold lapsed: the number is offered again and the old search cannot buy it.
            let (_, taken) = try await f.search(f.second)
            #expect(taken?.phoneNumbers == ["+18335550100"])
            await #expect(throws: NumbersError.searchExpired(search.searchId)) {
                _ = try await f.numbers.purchase(search: search.searchId, agreeToNotResell: false, in: f.first)
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func sandboxSearchesHandOutRealAreaCodesAndNeverTheSameNumberTwice(engine: TestEngine) async throws {
        try await withNumbers(engine: engine) { f in
            let (_, one) = try await f.search(f.first, quantity: 3, areaCode: "206", type: .geographic)
            let (_, two) = try await f.search(f.second, quantity: 3, areaCode: "206", type: .geographic)
            let first = try #require(one).phoneNumbers
            let second = try #require(two).phoneNumbers
            #expect(first.count == 3 && second.count == 3)
            #expect(Set(first).isDisjoint(with: second))
            #expect((first + second).allSatisfy { $0.hasPrefix("+1206") && !$0.hasSuffix("0000") })
            // Deterministic: the sandbox offers numbers in the same order every time, skipping those set aside.
            #expect(Array(SandboxCatalog.candidates(country: "US", type: .geographic, areaCode: "206").prefix(3)) == first)
            // A sandbox number has a row only while held: released, it is forgotten and offered again.
            _ = try await f.numbers.purchase(search: try #require(one).searchId, agreeToNotResell: false, in: f.first)
            _ = try await f.numbers.release(first[0], in: f.first)
            #expect(try await f.inventory.entry(first[0]) == nil)
            #expect(
                try await f.inventory.available(country: "US", type: .geographic, areaCode: "206", limit: 1, now: f.clock.now) == [first[0]])
        }
    }

    @Test(arguments: TestEngine.available)
    func aReservationLivesFifteenMinutesAfterItsLastChangeAndAtMostTwoHours(engine: TestEngine) async throws {
        try await withNumbers(engine: engine) { f in
            let id = UUID().uuidString
            let offered = try await f.numbers.browse(
                country: "US",
                .init(type: .tollFree, assignment: .application, capabilities: .init(calling: .none, sms: .inboundOutbound), prefixes: ["1800"]))
            #expect(offered.count == NumbersService.browseSize)
            var change = try await f.numbers.updateReservation(id, changes: [offered[0].id: offered[0]], in: f.first)
            #expect(change.created && !change.partial)
            #expect(change.reservation.phoneNumbers[offered[0].id]?.status == .reserved)
            // The other resource cannot reserve a reserved number; the refusal is per number.
            let other = try await f.numbers.updateReservation(UUID().uuidString, changes: [offered[0].id: offered[0]], in: f.second)
            #expect(other.partial)
            #expect(other.reservation.phoneNumbers[offered[0].id]?.status == .error)

            let created = f.clock.now
            for step in 1...8 {
                f.clock.advance(by: .seconds(14 * 60))
                change = try await f.numbers.updateReservation(id, changes: [offered[step].id: offered[step]], in: f.first)
            }
            // Changed every 14 minutes, it lives on, but never past two hours after its creation.
            #expect(change.reservation.status == .active)
            #expect(change.reservation.expiresAt == created.adding(NumbersService.reservationLifetime).date)
            f.clock.advance(by: .seconds(9 * 60))
            #expect(try await f.numbers.reservation(id, in: f.first).status == .expired)
            await #expect(throws: NumbersError.self) { _ = try await f.numbers.purchase(reservation: id, agreeToNotResell: true, in: f.first) }
            // Lapsed, its numbers are free again.
            let again = try await f.numbers.updateReservation(UUID().uuidString, changes: [offered[0].id: offered[0]], in: f.second)
            #expect(!again.partial)
        }
    }
}
