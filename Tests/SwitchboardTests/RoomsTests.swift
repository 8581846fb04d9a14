import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

@testable import Switchboard

/// Rooms through the real application on both engines, with time on a manual clock: the validity defaults and
/// bounds, the SDK's `null`s, participants and their limits, identity deletion, isolation between resources,
/// repeatability and paging. (Every method of the official SDK is driven in `conformance/test_rooms.py`.)
@Suite struct RoomsTests {
    static let version = "2025-03-13"
    static let day: Duration = .seconds(86_400)

    /// A resource's signed requests, dated by the server's (manual) clock as a client in step with it would.
    struct Caller: Sendable {
        let client: any TestClientProtocol
        let resource: ResourceClient
        let clock: ManualClock

        func send(
            _ method: HTTPRequest.Method, _ path: String, json: String? = nil, version: String = RoomsTests.version, headers extra: HTTPFields = [:]
        ) async throws -> TestResponse {
            let separator = path.contains("?") ? "&" : "?"
            return try await execute(method, "/\(resource.name)\(path)\(separator)api-version=\(version)", json: json, headers: extra)
        }

        func execute(_ method: HTTPRequest.Method, _ target: String, json: String? = nil, headers extra: HTTPFields = [:]) async throws
            -> TestResponse
        {
            let body = json.map { Array($0.utf8) } ?? []
            var headers = resource.headers(method: method, target: target, body: body, date: clock.now.date)
            if method == .patch { headers[.contentType] = "application/merge-patch+json" }
            for field in extra { headers[field.name] = field.value }
            return try await client.execute(uri: target, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
        }

        /// Follows a `nextLink` as the SDK does (its path and query; the router test client ignores scheme and host).
        func follow(_ nextLink: String) async throws -> TestResponse {
            let url = try #require(URL(string: nextLink))
            return try await execute(.get, url.path(percentEncoded: true) + "?" + (url.query(percentEncoded: true) ?? ""))
        }

        /// Every item of a list, following its pages.
        func all(_ path: String) async throws -> (items: [[String: Any]], pages: Int) {
            var response = try await send(.get, path)
            var items: [[String: Any]] = []
            var pages = 0
            while true {
                #expect(response.status == .ok, "\(response.text)")
                items += response.json["value"] as? [[String: Any]] ?? []
                pages += 1
                guard let next = response.json["nextLink"] as? String else { return (items, pages) }
                response = try await follow(next)
            }
        }

        func createRoom(_ body: String = #"{"validFrom":null,"validUntil":null,"pstnDialOutEnabled":false}"#) async throws -> [String: Any] {
            let response = try await send(.post, "/rooms", json: body)
            #expect(response.status == .created, "\(response.text)")
            return response.json
        }

        func participants(_ room: String) async throws -> [String: String] {
            var roles: [String: String] = [:]
            for item in try await all("/rooms/\(room)/participants").items {
                roles[item["rawId"] as? String ?? ""] = item["role"] as? String
            }
            return roles
        }
    }

    struct Fixture: Sendable {
        let server: TestServer
        let clock: ManualClock
        let dev: Caller
        let other: Caller
        let devHandle: ResourceHandle
        let otherHandle: ResourceHandle
        let identities: IdentityService

        /// A new communication user of `resource`.
        func user(_ resource: ResourceHandle) async throws -> String {
            try await identities.create(in: resource, customID: nil, token: nil).user.rawID
        }
    }

    func withRooms(engine: TestEngine, _ body: @escaping @Sendable (Fixture) async throws -> Void) async throws {
        let clock = ManualClock(start: Timestamp(milliseconds: Timestamp(Date()).milliseconds / 1000 * 1000 + 250))
        try await TestServer.with(engine: engine, clock: clock) { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            let other = try await server.createResource("other", in: .europe)
            let devHandle = try #require(try await server.runtime.resources.handle(named: "dev"))
            let otherHandle = try #require(try await server.runtime.resources.handle(named: "other"))
            let identities = try server.identities()
            try await server.test { client in
                try await body(
                    Fixture(
                        server: server, clock: clock, dev: Caller(client: client, resource: dev, clock: clock),
                        other: Caller(client: client, resource: other, clock: clock), devHandle: devHandle, otherHandle: otherHandle,
                        identities: identities))
            }
        }
    }

    static func time(_ timestamp: Timestamp) -> String { RoomsWire.format(timestamp) }

    static func detail(_ response: TestResponse) -> (code: String?, target: String?) {
        let details = (response.json["error"] as? [String: Any])?["details"] as? [[String: Any]]
        return (details?.first?["code"] as? String, details?.first?["target"] as? String)
    }

    // MARK: Validity

    @Test(arguments: TestEngine.available)
    func aRoomCreatedWithNullsIsValidFromNowForOneHundredEightyDays(engine: TestEngine) async throws {
        try await withRooms(engine: engine) { f in
            let now = f.clock.now.wholeSeconds
            let room = try await f.dev.createRoom()
            let id = try #require(room["id"] as? String)
            #expect(id.count == 17 && id.allSatisfy(\.isNumber), "an ACS-like room id: \(id)")
            #expect(room["createdAt"] as? String == Self.time(now))
            #expect(room["validFrom"] as? String == Self.time(now), "validFrom null means now, without milliseconds")
            #expect(room["validUntil"] as? String == Self.time(now.adding(.seconds(180 * 86_400))))
            #expect(room["pstnDialOutEnabled"] as? Bool == false)

            // An empty body (no keys at all) is the same; pstnDialOutEnabled and the window as given are kept.
            let bare = try await f.dev.createRoom("{}")
            #expect(bare["validUntil"] as? String == Self.time(now.adding(.seconds(180 * 86_400))))
            let from = now.adding(Self.day)
            let given = try await f.dev.createRoom(
                #"{"validFrom":"\#(Self.time(from))","validUntil":"\#(Self.time(from.adding(.seconds(3600))))","pstnDialOutEnabled":true}"#)
            #expect(given["validFrom"] as? String == Self.time(from))
            #expect(given["validUntil"] as? String == Self.time(from.adding(.seconds(3600))))
            #expect(given["pstnDialOutEnabled"] as? Bool == true)
            // Fractions and offsets are read; rooms keep whole seconds.
            let offset = try await f.dev.createRoom(#"{"validFrom":null,"validUntil":"\#(APIDate.format(from.adding(.milliseconds(987)).date))"}"#)
            #expect(offset["validUntil"] as? String == Self.time(from))

            let got = try await f.dev.send(.get, "/rooms/\(id)")
            #expect(got.status == .ok)
            #expect(got.json["validUntil"] as? String == room["validUntil"] as? String)
        }
    }

    @Test(arguments: TestEngine.available)
    func windowsOutsideACSBoundsAre400sNamingTheFieldAndWriteNothing(engine: TestEngine) async throws {
        try await withRooms(engine: engine) { f in
            let now = f.clock.now.wholeSeconds
            let cases: [(String, String)] = [
                (#"{"validFrom":"\#(Self.time(now.adding(.seconds(181 * 86_400))))","validUntil":null}"#, "ValidFrom"),
                (#"{"validFrom":null,"validUntil":"\#(Self.time(now.subtracting(.seconds(60))))"}"#, "ValidUntil"),
                (#"{"validFrom":"\#(Self.time(now.adding(Self.day)))","validUntil":"\#(Self.time(now.adding(.seconds(3600))))"}"#, "ValidUntil"),
                (#"{"validFrom":"\#(Self.time(now.adding(Self.day)))","validUntil":"\#(Self.time(now.adding(Self.day)))"}"#, "ValidUntil"),
                (#"{"validFrom":null,"validUntil":"\#(Self.time(now.adding(.seconds(180 * 86_400 + 1))))"}"#, "ValidUntil"),
            ]
            for (body, target) in cases {
                let response = try await f.dev.send(.post, "/rooms", json: body)
                #expect(response.status == .badRequest, "\(body) → \(response.text)")
                #expect(response.errorCode == "BadRequest")
                #expect(Self.detail(response).code == "BadArgument")
                #expect(Self.detail(response).target == target, "\(body)")
                #expect(response.headers[HTTPField.Name("x-ms-error-code")!] == "BadRequest")
            }
            for body in [#"{"validFrom":"yesterday"}"#, #"{"pstnDialOutEnabled":"yes"}"#, #"{"participants":[]}"#, "[]", "null"] {
                let response = try await f.dev.send(.post, "/rooms", json: body)
                #expect(response.status == .badRequest, "\(body) → \(response.text)")
                #expect(response.errorCode != nil)
            }
            #expect(try await f.dev.all("/rooms").items.isEmpty, "a refused room leaves nothing")

            // The longest window ACS allows is accepted: exactly 180 days, starting up to 180 days from now.
            let far = now.adding(.seconds(180 * 86_400))
            _ = try await f.dev.createRoom(#"{"validFrom":"\#(Self.time(far))","validUntil":"\#(Self.time(far.adding(.seconds(180 * 86_400))))"}"#)
            // A window that started in the past is fine as long as it has not ended.
            _ = try await f.dev.createRoom(
                #"{"validFrom":"\#(Self.time(now.subtracting(Self.day)))","validUntil":"\#(Self.time(now.adding(Self.day)))"}"#)
            #expect(try await f.dev.all("/rooms").items.count == 2)
        }
    }

    @Test(arguments: TestEngine.available)
    func anUpdatesNullsLeaveFieldsUnchanged(engine: TestEngine) async throws {
        try await withRooms(engine: engine) { f in
            let now = f.clock.now.wholeSeconds
            let room = try await f.dev.createRoom(#"{"validFrom":null,"validUntil":null,"pstnDialOutEnabled":true}"#)
            let id = try #require(room["id"] as? String)

            let unchanged = try await f.dev.send(.patch, "/rooms/\(id)", json: #"{"validFrom":null,"validUntil":null,"pstnDialOutEnabled":null}"#)
            #expect(unchanged.status == .ok)
            for key in ["id", "createdAt", "validFrom", "validUntil"] { #expect(unchanged.json[key] as? String == room[key] as? String) }
            #expect(unchanged.json["pstnDialOutEnabled"] as? Bool == true)

            let until = now.adding(.seconds(7 * 86_400))
            let moved = try await f.dev.send(
                .patch, "/rooms/\(id)", json: #"{"validFrom":null,"validUntil":"\#(Self.time(until))","pstnDialOutEnabled":null}"#)
            #expect(moved.status == .ok)
            #expect(moved.json["validFrom"] as? String == room["validFrom"] as? String)
            #expect(moved.json["validUntil"] as? String == Self.time(until))
            #expect(moved.json["pstnDialOutEnabled"] as? Bool == true)

            let off = try await f.dev.send(.patch, "/rooms/\(id)", json: #"{"pstnDialOutEnabled":false}"#)
            #expect(off.json["pstnDialOutEnabled"] as? Bool == false)
            #expect(off.json["validUntil"] as? String == Self.time(until))

            // The new window is checked against what it keeps: a start after the kept end is refused, and nothing changes.
            let late = try await f.dev.send(.patch, "/rooms/\(id)", json: #"{"validFrom":"\#(Self.time(until.adding(Self.day)))","validUntil":null}"#)
            #expect(late.status == .badRequest)
            #expect(Self.detail(late).target == "ValidUntil")
            let long = try await f.dev.send(
                .patch, "/rooms/\(id)", json: #"{"validUntil":"\#(Self.time(now.adding(.seconds(181 * 86_400))))","pstnDialOutEnabled":true}"#)
            #expect(long.status == .badRequest)
            let after = try await f.dev.send(.get, "/rooms/\(id)")
            #expect(after.json["validUntil"] as? String == Self.time(until))
            #expect(after.json["pstnDialOutEnabled"] as? Bool == false, "a refused update changes nothing")
        }
    }

    @Test(arguments: TestEngine.available)
    func aRoomPastItsValidUntilIsStillReadAndListed(engine: TestEngine) async throws {
        try await withRooms(engine: engine) { f in
            let now = f.clock.now.wholeSeconds
            let user = try await f.user(f.devHandle)
            let room = try await f.dev.createRoom(
                #"{"validFrom":null,"validUntil":"\#(Self.time(now.adding(.seconds(3600))))","participants":{"\#(user)":{"role":"Presenter"}}}"#)
            let id = try #require(room["id"] as? String)

            f.clock.advance(by: .seconds(2 * 3600))
            let got = try await f.dev.send(.get, "/rooms/\(id)")
            #expect(got.status == .ok)
            #expect(got.json["validUntil"] as? String == Self.time(now.adding(.seconds(3600))))
            #expect(try await f.dev.all("/rooms").items.compactMap { $0["id"] as? String } == [id])
            #expect(try await f.dev.participants(id) == [user: "Presenter"])

            // Its window can be moved forward again, but not to another window that has already ended.
            let stillPast = try await f.dev.send(.patch, "/rooms/\(id)", json: #"{"validFrom":"\#(Self.time(now))","validUntil":null}"#)
            #expect(stillPast.status == .badRequest)
            #expect(Self.detail(stillPast).target == "ValidUntil")
            let reopened = try await f.dev.send(
                .patch, "/rooms/\(id)", json: #"{"validUntil":"\#(Self.time(f.clock.now.wholeSeconds.adding(Self.day)))"}"#)
            #expect(reopened.status == .ok, "\(reopened.text)")
        }
    }

    // MARK: Participants

    @Test(arguments: TestEngine.available)
    func participantsAreAddedWithTheirRolesChangedAndRemoved(engine: TestEngine) async throws {
        try await withRooms(engine: engine) { f in
            let (a, b, c, d) = (
                try await f.user(f.devHandle), try await f.user(f.devHandle), try await f.user(f.devHandle), try await f.user(f.devHandle)
            )
            let room = try await f.dev.createRoom(
                #"{"validFrom":null,"validUntil":null,"participants":{"\#(a)":{"role":"Presenter"},"\#(b)":{},"\#(c)":{"role":null},"\#(d)":null}}"#)
            let id = try #require(room["id"] as? String)
            #expect(try await f.dev.participants(id) == [a: "Presenter", b: "Attendee", c: "Attendee"], "no role is Attendee; null is none")

            let update = try await f.dev.send(
                .patch, "/rooms/\(id)/participants", json: #"{"participants":{"\#(b)":{"role":"Consumer"},"\#(d)":{"role":"Collaborator"}}}"#)
            #expect(update.status == .ok)
            #expect(update.text == "{}")
            #expect(try await f.dev.participants(id) == [a: "Presenter", b: "Consumer", c: "Attendee", d: "Collaborator"])

            // Removing someone who is not there changes nothing; removal and addition go together.
            let stranger = try await f.user(f.devHandle)
            let removed = try await f.dev.send(
                .patch, "/rooms/\(id)/participants", json: #"{"participants":{"\#(a)":null,"\#(stranger)":null,"\#(c)":{"role":"Presenter"}}}"#)
            #expect(removed.status == .ok)
            #expect(try await f.dev.participants(id) == [b: "Consumer", c: "Presenter", d: "Collaborator"])
            let empty = try await f.dev.send(.patch, "/rooms/\(id)/participants", json: #"{"participants":{}}"#)
            #expect(empty.status == .ok)

            // Collaborator is a 2025-03-13 role; an older api-version and an unknown role are refused.
            for (version, role) in [("2024-04-15", "Collaborator"), (Self.version, "Kafka")] {
                let refused = try await f.dev.send(
                    .patch, "/rooms/\(id)/participants", json: #"{"participants":{"\#(a)":{"role":"\#(role)"}}}"#, version: version)
                #expect(refused.status == .badRequest, "\(version) \(role)")
                #expect(Self.detail(refused).code == "BadArgument")
            }
            let older = try await f.dev.send(
                .patch, "/rooms/\(id)/participants", json: #"{"participants":{"\#(a)":{"role":"Presenter"}}}"#, version: "2023-06-14")
            #expect(older.status == .ok)
            let missing = try await f.dev.send(.patch, "/rooms/\(id)/participants", json: "{}")
            #expect(missing.status == .badRequest)
        }
    }

    @Test(arguments: TestEngine.available)
    func participantsThatAreNotIdentitiesOfTheResourceAre400sAndNothingIsWritten(engine: TestEngine) async throws {
        try await withRooms(engine: engine) { f in
            let mine = try await f.user(f.devHandle)
            let foreign = try await f.user(f.otherHandle)
            let deleted = try await f.user(f.devHandle)
            try await f.identities.delete(in: f.devHandle, user: try #require(UserID(rawID: deleted)))
            let room = try #require(try await f.dev.createRoom(#"{"participants":{"\#(mine)":{"role":"Presenter"}}}"#)["id"] as? String)

            for (rawID, code) in [
                (foreign, "BadRequest"), (deleted, "BadRequest"), ("wrong_mri", "BadRequest"), ("8:acs:not-a-user", "BadRequest"),
                ("4:+14255550123", "BadRequest"), ("8:orgid:0f5a8c9c-5c5f-4ba9-9ef5-5400f3ca0d6b", "BadRequest"),
                ("28:orgid:0f5a8c9c-5c5f-4ba9-9ef5-5400f3ca0d6b", "BadRequest"),
                ("8:gcch-acs:0f5a8c9c-5c5f-4ba9-9ef5-5400f3ca0d6b_00000005-14a2-493b-8a72-5a3a0d000081", "BadRequest"), ("", "BadRequest"),
            ] {
                let create = try await f.dev.send(.post, "/rooms", json: #"{"participants":{"\#(mine)":{},"\#(rawID)":{"role":"Attendee"}}}"#)
                #expect(create.status == .badRequest, "\(rawID) → \(create.text)")
                #expect(create.errorCode == code)
                let add = try await f.dev.send(
                    .patch, "/rooms/\(room)/participants", json: #"{"participants":{"\#(mine)":{"role":"Consumer"},"\#(rawID)":{}}}"#)
                #expect(add.status == .badRequest, "\(rawID) → \(add.text)")
            }
            let remove = try await f.dev.send(.patch, "/rooms/\(room)/participants", json: #"{"participants":{"wrong_mri":null}}"#)
            #expect(remove.status == .badRequest)
            #expect(try await f.dev.all("/rooms").items.count == 1, "no refused room was created")
            #expect(try await f.dev.participants(room) == [mine: "Presenter"], "no refused change was half made")
        }
    }

    @Test(arguments: TestEngine.available)
    func aRoomHoldsAtMostTwoHundredFiftyParticipants(engine: TestEngine) async throws {
        try await withRooms(engine: engine) { f in
            var users: [String] = []
            for _ in 0...RoomsService.maximumParticipants { users.append(try await f.user(f.devHandle)) }
            func map(_ ids: some Sequence<String>) -> String {
                "{" + ids.map { #""\#($0)":{"role":"Attendee"}"# }.joined(separator: ",") + "}"
            }
            let tooMany = try await f.dev.send(.post, "/rooms", json: #"{"participants":\#(map(users))}"#)
            #expect(tooMany.status == .badRequest)
            #expect(Self.detail(tooMany).target == "Participants")
            #expect(try await f.dev.all("/rooms").items.isEmpty)

            let id = try #require(try await f.dev.createRoom(#"{"participants":\#(map(users.prefix(200)))}"#)["id"] as? String)
            let over = try await f.dev.send(.patch, "/rooms/\(id)/participants", json: #"{"participants":\#(map(users.suffix(51)))}"#)
            #expect(over.status == .badRequest)
            #expect(try await f.dev.participants(id).count == 200, "a refused addition adds no one")
            // Removals in the same request make room.
            let swapped = try await f.dev.send(
                .patch, "/rooms/\(id)/participants",
                json: #"{"participants":\#(map(users.suffix(51)).dropLast()),"\#(users[0])":null}}"#)
            #expect(swapped.status == .ok, "\(swapped.text)")
            let now = try await f.dev.participants(id)
            #expect(now.count == 250)
            #expect(now[users[0]] == nil)
        }
    }

    @Test(arguments: TestEngine.available)
    func deletingAnIdentityRemovesItFromEveryRoom(engine: TestEngine) async throws {
        try await withRooms(engine: engine) { f in
            let alice = try await f.user(f.devHandle)
            let bob = try await f.user(f.devHandle)
            let first = try #require(
                try await f.dev.createRoom(#"{"participants":{"\#(alice)":{"role":"Presenter"},"\#(bob)":{}}}"#)["id"] as? String)
            let second = try #require(try await f.dev.createRoom(#"{"participants":{"\#(alice)":{"role":"Consumer"}}}"#)["id"] as? String)

            let assembly = try f.server.assembly()
            let personalData = assembly.platform.personalData
            let handle = f.devHandle
            let export = try await assembly.platform.changes.run(in: handle) { tx in
                try await personalData.export(.communicationUser(alice), in: tx)
            }
            let text = String(decoding: try JSONBody.encoder.encode(export), as: UTF8.self)
            #expect(text.contains(#""rooms":[{"#) && text.contains(first) && text.contains(second) && text.contains("Consumer"), "\(text)")

            try await f.identities.delete(in: f.devHandle, user: try #require(UserID(rawID: alice)))
            #expect(try await f.dev.participants(first) == [bob: "Attendee"])
            #expect(try await f.dev.participants(second).isEmpty)
            let after = try await assembly.platform.changes.run(in: handle) { tx in
                try await personalData.export(.communicationUser(alice), in: tx)
            }
            #expect(after["rooms"] == nil)
        }
    }

    // MARK: Isolation

    @Test(arguments: TestEngine.available)
    func anotherResourcesKeyNeverReachesARoom(engine: TestEngine) async throws {
        try await withRooms(engine: engine) { f in
            let user = try await f.user(f.devHandle)
            let id = try #require(try await f.dev.createRoom(#"{"participants":{"\#(user)":{}}}"#)["id"] as? String)
            for (method, path, body) in [
                (HTTPRequest.Method.get, "/rooms/\(id)", nil), (.patch, "/rooms/\(id)", #"{"pstnDialOutEnabled":true}"#),
                (.get, "/rooms/\(id)/participants", nil), (.patch, "/rooms/\(id)/participants", #"{"participants":{}}"#),
            ] as [(HTTPRequest.Method, String, String?)] {
                let response = try await f.other.send(method, path, json: body)
                #expect(response.status == .notFound, "\(method) \(path)")
                #expect(response.errorCode == "NotFound")
            }
            #expect(try await f.other.all("/rooms").items.isEmpty)
            // Deleting is idempotent in ACS (204 for a room that is not there) — and deletes nothing of another resource.
            #expect(try await f.other.send(.delete, "/rooms/\(id)").status == .noContent)
            #expect(try await f.dev.send(.get, "/rooms/\(id)").status == .ok)
            // The other resource's key does not sign for this one.
            let forged = try await f.dev.client.execute(
                uri: "/dev/rooms/\(id)?api-version=\(Self.version)", method: .get,
                headers: f.dev.resource.headers(
                    method: .get, target: "/dev/rooms/\(id)?api-version=\(Self.version)", body: [], key: f.other.resource.key,
                    date: f.clock.now.date))
            #expect(forged.status == .unauthorized)

            #expect(try await f.dev.send(.delete, "/rooms/\(id)").status == .noContent)
            #expect(try await f.dev.send(.get, "/rooms/\(id)").status == .notFound)
            #expect(try await f.dev.send(.get, "/rooms/\(id)/participants").status == .notFound)
            #expect(try await f.dev.send(.delete, "/rooms/\(id)").status == .noContent)
            for bad in ["invalid_id", "123", String(repeating: "1", count: 18), "1234567890123456x"] {
                let response = try await f.dev.send(.get, "/rooms/\(bad)")
                #expect(response.status == .badRequest, "\(bad)")
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func deletingTheResourceDeletesItsRoomsParticipantsAndRepeatability(engine: TestEngine) async throws {
        try await withRooms(engine: engine) { f in
            let user = try await f.user(f.devHandle)
            var headers = HTTPFields()
            headers[RoomsAPI.repeatabilityRequestID] = UUID().uuidString
            let response = try await f.dev.send(.post, "/rooms", json: #"{"participants":{"\#(user)":{}}}"#, headers: headers)
            #expect(response.status == .created)
            let store = f.devHandle.store
            func count(_ table: String) async throws -> Int {
                try await store.read { db in
                    try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(table)
                        .where("resource_id", .equal, f.devHandle.storageID).first(decodingColumn: "n", as: Int.self) ?? 0
                }
            }
            for table in RoomsSchema.tables { #expect(try await count(table) == 1, "\(table)") }
            try await f.server.runtime.administration.delete(name: "dev")
            for table in RoomsSchema.tables { #expect(try await count(table) == 0, "\(table)") }
        }
    }

    // MARK: Repeatability and paging

    @Test(arguments: TestEngine.available)
    func aRepeatedCreateAnswersWithTheFirstRoomForADay(engine: TestEngine) async throws {
        try await withRooms(engine: engine) { f in
            var headers = HTTPFields()
            headers[RoomsAPI.repeatabilityRequestID] = UUID().uuidString
            headers[RoomsAPI.repeatabilityFirstSent] = HTTPDate.format(f.clock.now.date)
            let body = #"{"validFrom":null,"validUntil":null,"pstnDialOutEnabled":true}"#
            let first = try await f.dev.send(.post, "/rooms", json: body, headers: headers)
            #expect(first.status == .created)
            #expect(first.headers[RoomsAPI.repeatabilityResult] == "accepted")
            f.clock.advance(by: .seconds(5))
            let again = try await f.dev.send(.post, "/rooms", json: body, headers: headers)
            #expect(again.status == .created)
            #expect(NSDictionary(dictionary: again.json) == NSDictionary(dictionary: first.json), "the first answer, replayed")
            #expect(try await f.dev.all("/rooms").items.count == 1)

            // The same id at another resource is another request.
            #expect(try await f.other.send(.post, "/rooms", json: body, headers: headers).status == .created)
            #expect(try await f.other.all("/rooms").items.count == 1)

            var fresh = headers
            fresh[RoomsAPI.repeatabilityRequestID] = UUID().uuidString
            #expect(try await f.dev.send(.post, "/rooms", json: body, headers: fresh).json["id"] as? String != first.json["id"] as? String)

            var bad = headers
            bad[RoomsAPI.repeatabilityFirstSent] = "yesterday"
            #expect(try await f.dev.send(.post, "/rooms", json: body, headers: bad).status == .badRequest)
            bad = headers
            bad[RoomsAPI.repeatabilityRequestID] = String(repeating: "x", count: 129)
            #expect(try await f.dev.send(.post, "/rooms", json: body, headers: bad).status == .badRequest)

            // A day later the id is forgotten (swept by the retention rule) and creates a new room.
            f.clock.advance(by: .seconds(86_400 + 60))
            let sweeps = try f.server.assembly()
            await sweeps.maintenance.sweepOnce()
            let count = try await f.devHandle.store.read { db in
                try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("room_repeatability")
                    .where("resource_id", .equal, f.devHandle.storageID).first(decodingColumn: "n", as: Int.self) ?? 0
            }
            #expect(count == 0)
            headers[RoomsAPI.repeatabilityFirstSent] = HTTPDate.format(f.clock.now.date)
            let later = try await f.dev.send(.post, "/rooms", json: body, headers: headers)
            #expect(later.status == .created)
            #expect(later.json["id"] as? String != first.json["id"] as? String)
        }
    }

    @Test(arguments: TestEngine.available)
    func roomsAndParticipantsPageInTheOrderTheyCame(engine: TestEngine) async throws {
        try await withRooms(engine: engine) { f in
            var ids: [String] = []
            for _ in 0..<4 {
                ids.append(try #require(try await f.dev.createRoom()["id"] as? String))
                f.clock.advance(by: .milliseconds(1))
            }
            // Two created in the same millisecond still come once each.
            ids.append(try #require(try await f.dev.createRoom()["id"] as? String))
            ids.append(try #require(try await f.dev.createRoom()["id"] as? String))
            let (rooms, pages) = try await f.dev.all("/rooms?maxPageSize=2")
            #expect(pages == 3)
            #expect(rooms.count == 6)
            #expect(Array(rooms.compactMap { $0["id"] as? String }.prefix(4)) == Array(ids.prefix(4)))
            #expect(Set(rooms.compactMap { $0["id"] as? String }) == Set(ids))
            #expect(try await f.dev.all("/rooms").pages == 1)

            var users: [String] = []
            for _ in 0..<5 { users.append(try await f.user(f.devHandle)) }
            let room = ids[0]
            for user in users {
                #expect(try await f.dev.send(.patch, "/rooms/\(room)/participants", json: #"{"participants":{"\#(user)":{}}}"#).status == .ok)
            }
            let (participants, participantPages) = try await f.dev.all("/rooms/\(room)/participants?maxPageSize=2")
            #expect(participantPages == 3)
            #expect(participants.compactMap { $0["rawId"] as? String } == users, "in the order they were added")
            // The Python SDK follows a nextLink with its version enum's name for the api-version (Python 3.11+).
            let enumSpelling = try await f.dev.send(.get, "/rooms/\(room)/participants?maxPageSize=2", version: "ApiVersion.V2025_03_13")
            #expect(enumSpelling.status == .ok, "\(enumSpelling.text)")
            #expect((enumSpelling.json["nextLink"] as? String)?.hasSuffix("api-version=2025-03-13") == true)
            let bad = try await f.dev.send(.get, "/rooms?continuationToken=garbage!")
            #expect(bad.status == .badRequest)
        }
    }
}
