import Foundation
import HTTPTypes
import HummingbirdTesting
import SQLKit
import Testing

@testable import Switchboard

/// The Chat API's behaviour and the residency document's chat rules, on SQLite and PostgreSQL.
@Suite struct ChatTests {
    static func path(_ thread: String) -> String { ChatUser.path(thread) }

    @Test(arguments: TestEngine.available)
    func aConversationFromCreationToDeletion(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let alice = try await ChatUser.create(in: server, resource: "dev")
            let bob = try await ChatUser.create(in: server, resource: "dev")
            try await server.test { client in
                let thread = try await alice.createThread(client, topic: "Lunch", participants: [bob.participant("Bob")])
                #expect(thread.hasPrefix("19:") && thread.hasSuffix("@thread.v2"))
                let properties = try await bob.send(client, .get, "/chat/threads/\(Self.path(thread))")
                #expect(properties.json["topic"] as? String == "Lunch")
                #expect(((properties.json["createdByCommunicationIdentifier"] as? [String: Any])?["rawId"] as? String) == alice.id)

                let first = try await alice.sendMessage(client, thread, "Where shall we go?", displayName: "Alice")
                let second = try await bob.sendMessage(client, thread, "Pizza!")
                #expect(Int64(second)! > Int64(first)!)
                let all = try await bob.messages(client, thread)
                #expect(all.map { $0["type"] as? String } == ["text", "text", "topicUpdated", "participantAdded"])
                #expect(all.map { $0["sequenceId"] as? String } == ["4", "3", "2", "1"])
                let added = try #require(all[3]["content"] as? [String: Any])
                #expect((added["participants"] as? [[String: Any]])?.count == 2)
                #expect(all[1]["senderDisplayName"] as? String == "Alice")

                // Edit: content, editedOn, a higher version.
                let edited = try await alice.send(
                    client, .patch, "/chat/threads/\(Self.path(thread))/messages/\(first)",
                    json: #"{"content":"Where shall we eat?","metadata":{"k":"v"}}"#)
                #expect(edited.status == .noContent)
                let message = try await bob.send(client, .get, "/chat/threads/\(Self.path(thread))/messages/\(first)")
                #expect((message.json["content"] as? [String: Any])?["message"] as? String == "Where shall we eat?")
                #expect(message.json["editedOn"] is String)
                #expect(Int64(message.json["version"] as! String)! > Int64(first)!)
                #expect((message.json["metadata"] as? [String: String]) == ["k": "v"])

                // Delete: deletedOn, no content for anyone.
                #expect(try await alice.send(client, .delete, "/chat/threads/\(Self.path(thread))/messages/\(first)").status == .noContent)
                let deleted = try await bob.send(client, .get, "/chat/threads/\(Self.path(thread))/messages/\(first)")
                #expect(deleted.json["deletedOn"] is String)
                #expect(deleted.json["content"] == nil)
                #expect(try await bob.texts(client, thread) == ["Pizza!"])

                // Topic update adds a system message.
                #expect(try await bob.send(client, .patch, "/chat/threads/\(Self.path(thread))", json: #"{"topic":"Dinner"}"#).status == .noContent)
                let latest = try await alice.messages(client, thread).first
                #expect(latest?["type"] as? String == "topicUpdated")
                #expect((latest?["content"] as? [String: Any])?["topic"] as? String == "Dinner")

                // Delete the thread: listed as deleted, gone otherwise.
                #expect(try await alice.send(client, .delete, "/chat/threads/\(Self.path(thread))").status == .noContent)
                let threads = try await bob.send(client, .get, "/chat/threads")
                let item = try #require((threads.json["value"] as? [[String: Any]])?.first, "\(threads.text)")
                #expect(item["deletedOn"] is String)
                #expect(try await bob.send(client, .get, "/chat/threads/\(Self.path(thread))/messages").status == .notFound)
                #expect(try await alice.send(client, .delete, "/chat/threads/\(Self.path(thread))").status == .noContent)
            }
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            let remaining = try await resource.store.read { db in
                try await db.select().column("id").from("chat_messages").where("resource_id", .equal, resource.storageID).all().count
            }
            #expect(remaining == 0, "deleting a thread deletes all its messages")
        }
    }

    @Test(arguments: TestEngine.available)
    func aDeletedMessagesContentIsGoneFromTheStoreAndItsEvents(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let alice = try await ChatUser.create(in: server, resource: "dev")
            let (thread, id) = try await server.test { client in
                let thread = try await alice.createThread(client)
                let sent = try await alice.send(
                    client, .post, "/chat/threads/\(Self.path(thread))/messages",
                    json: #"{"content":"erase me","senderDisplayName":"Alice","metadata":{"k":"secret"}}"#)
                let id = try #require(sent.json["id"] as? String)
                #expect(try await alice.send(client, .delete, "/chat/threads/\(Self.path(thread))/messages/\(id)").status == .noContent)
                return (thread, id)
            }
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            let row = try await resource.store.read { db in
                try await db.select().columns("content", "metadata", "sender_display_name", "deleted_at").from("chat_messages")
                    .where("thread_id", .equal, thread).where("id", .equal, id).first()
            }
            #expect(try row?.decode(column: "content", as: Data?.self) == nil)
            #expect(try row?.decode(column: "metadata", as: Data?.self) == nil)
            #expect(try row?.decode(column: "sender_display_name", as: Data?.self) == nil)
            #expect(try row?.decode(column: "deleted_at", as: Int64?.self) != nil)
            let events = try await resource.store.read { db in
                try await EventLog.events(after: 0, scopes: [Correlation.chat(thread: thread).scope], resource: resource, limit: 100, in: db)
            }
            #expect(!events.contains { String(decoding: $0.data, as: UTF8.self).contains("erase me") })
            #expect(events.map(\.type).contains(ChatEventType.messageDeleted.rawValue))
        }
    }

    @Test(arguments: TestEngine.available)
    func onlyParticipantsReadOrActAndNobodyEditsAnotherUsersMessage(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let alice = try await ChatUser.create(in: server, resource: "dev")
            let bob = try await ChatUser.create(in: server, resource: "dev")
            let mallory = try await ChatUser.create(in: server, resource: "dev")
            try await server.test { client in
                let thread = try await alice.createThread(client, participants: [bob.participant()])
                let id = try await alice.sendMessage(client, thread, "mine")
                let base = "/chat/threads/\(Self.path(thread))"
                for (method, path, body) in [
                    (HTTPRequest.Method.get, base, nil), (.get, "\(base)/messages", nil), (.get, "\(base)/messages/\(id)", nil),
                    (.post, "\(base)/messages", #"{"content":"hi"}"#), (.get, "\(base)/participants", nil),
                    (.post, "\(base)/participants/:add", #"{"participants":[\#(mallory.participant())]}"#),
                    (.patch, base, #"{"topic":"mine now"}"#), (.delete, base, nil), (.post, "\(base)/typing", "{}"),
                    (.post, "\(base)/readReceipts", #"{"chatMessageId":"\#(id)"}"#), (.get, "\(base)/readReceipts", nil),
                ] as [(HTTPRequest.Method, String, String?)] {
                    let response = try await mallory.send(client, method, path, json: body)
                    #expect(response.status == .notFound, "\(method) \(path)")
                    #expect(response.errorCode == "ThreadNotFound")
                }
                let edit = try await bob.send(client, .patch, "\(base)/messages/\(id)", json: #"{"content":"yours?"}"#)
                #expect(edit.status == .forbidden)
                #expect(try await bob.send(client, .delete, "\(base)/messages/\(id)").status == .forbidden)
                let system = try await alice.messages(client, thread).last!["id"] as! String
                #expect(try await alice.send(client, .delete, "\(base)/messages/\(system)").status == .forbidden)
                #expect(try await alice.texts(client, thread) == ["mine"])
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func aRemovedParticipantReadsHistoryUpToRemovalOnly(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let alice = try await ChatUser.create(in: server, resource: "dev")
            let bob = try await ChatUser.create(in: server, resource: "dev")
            try await server.test { client in
                let thread = try await alice.createThread(client, participants: [bob.participant("Bob")])
                let base = "/chat/threads/\(Self.path(thread))"
                _ = try await alice.sendMessage(client, thread, "before")
                #expect(try await alice.send(client, .post, "\(base)/participants/:remove", json: bob.identifier).status == .noContent)
                _ = try await alice.sendMessage(client, thread, "after")
                #expect(try await bob.texts(client, thread) == ["before"])
                let notice = try await bob.messages(client, thread).first
                #expect(notice?["type"] as? String == "participantRemoved")
                #expect(try await bob.send(client, .post, "\(base)/messages", json: #"{"content":"let me in"}"#).status == .forbidden)
                #expect(try await bob.send(client, .get, "\(base)/participants").status == .forbidden)
                let participants = try await alice.send(client, .get, "\(base)/participants")
                #expect((participants.json["value"] as? [Any])?.count == 1)
                // A topic set after the removal is news the former participant does not get, by any route.
                #expect(try await alice.send(client, .patch, base, json: #"{"topic":"Surprise party for Bob"}"#).status == .noContent)
                #expect(try await bob.send(client, .get, base).json["topic"] as? String == "Lunch")
                let listed = try await bob.send(client, .get, "/chat/threads").json["value"] as? [[String: Any]]
                #expect(listed?.first?["topic"] as? String == "Lunch")
                #expect(try await alice.send(client, .get, base).json["topic"] as? String == "Surprise party for Bob")
                // Added again from now on: the old window plus the new one, nothing in between.
                #expect(
                    try await alice.send(client, .post, "\(base)/participants/:add", json: #"{"participants":[\#(bob.participant())]}"#).status
                        == .created)
                _ = try await alice.sendMessage(client, thread, "welcome back")
                #expect(try await bob.texts(client, thread) == ["welcome back", "before"])
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func shareHistoryTimeBoundsWhatAnAddedParticipantSees(engine: TestEngine) async throws {
        let clock = ManualClock()
        try await TestServer.with(engine: engine, clock: clock) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let alice = try await ChatUser.create(in: server, resource: "dev")
            let bob = try await ChatUser.create(in: server, resource: "dev")
            let carol = try await ChatUser.create(in: server, resource: "dev")
            try await server.test { client in
                let thread = try await alice.createThread(client)
                let base = "/chat/threads/\(Self.path(thread))"
                _ = try await alice.sendMessage(client, thread, "old news")
                clock.advance(by: .milliseconds(20))
                let middle = APIDate.format(clock.now.date)
                clock.advance(by: .milliseconds(20))
                _ = try await alice.sendMessage(client, thread, "recent")
                _ = try await alice.send(client, .post, "\(base)/participants/:add", json: #"{"participants":[\#(bob.participant())]}"#)
                _ = try await alice.send(
                    client, .post, "\(base)/participants/:add", json: #"{"participants":[\#(carol.participant(shareHistoryTime: middle))]}"#)
                _ = try await alice.sendMessage(client, thread, "new")
                #expect(try await bob.texts(client, thread) == ["new"])
                #expect(try await carol.texts(client, thread) == ["new", "recent"])
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func deletingAnIdentityDeletesEveryMessageItSentAndItsTokens(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            let alice = try await ChatUser.create(in: server, resource: "dev")
            let bob = try await ChatUser.create(in: server, resource: "dev")
            try await server.test { client in
                let one = try await alice.createThread(client, participants: [bob.participant("Bob Bobson")])
                let two = try await bob.createThread(client, participants: [alice.participant()])
                _ = try await bob.sendMessage(client, one, "bob in one")
                _ = try await bob.sendMessage(client, two, "bob in two")
                _ = try await alice.sendMessage(client, two, "alice in two")
                let deleted = try await dev.send(client, .delete, "/identities/\(IdentityAPITests.encode(bob.id))?api-version=2023-10-01")
                #expect(deleted.status == .noContent)
                #expect(try await alice.texts(client, one) == [])
                #expect(try await alice.texts(client, two) == ["alice in two"])
                #expect(try await bob.send(client, .get, "/chat/threads").status == .unauthorized)
                let participants = try await alice.send(client, .get, "/chat/threads/\(Self.path(two))/participants")
                #expect((participants.json["value"] as? [Any])?.count == 1)
                // The name Bob was given stays nowhere: the participantAdded message keeps only his id.
                let history = try await alice.messages(client, one)
                let added = try #require(history.first { $0["type"] as? String == "participantAdded" })
                let addedText = String(describing: added)
                #expect(!addedText.contains("Bob Bobson"))
                #expect(addedText.contains(bob.id))
            }
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            let fromBob = try await resource.store.read { db in
                try await db.select().column("id").from("chat_messages").where("sender", .equal, bob.id).all().count
            }
            #expect(fromBob == 0)
            // Erased, not hidden: of the three texts sent, only Alice's still has content, metadata or a name.
            let withContent = try await resource.store.read { db in
                try await db.select().column("id").from("chat_messages")
                    .where("resource_id", .equal, resource.storageID).where("type", .in, ["text", "html"])
                    .where {
                        $0.where("content", .isNot, SQLLiteral.null).orWhere("metadata", .isNot, SQLLiteral.null)
                            .orWhere("sender_display_name", .isNot, SQLLiteral.null)
                    }
                    .all().count
            }
            #expect(withContent == 1)
        }
    }

    @Test(arguments: TestEngine.available)
    func scopesRestrictAsACSDocumentsThem(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let owner = try await ChatUser.create(in: server, resource: "dev")
            let joiner = try await ChatUser.create(in: server, resource: "dev", scopes: [.chatJoin])
            let limited = try await ChatUser.create(in: server, resource: "dev", scopes: [.chatJoinLimited])
            let caller = try await ChatUser.create(in: server, resource: "dev", scopes: [.voip])
            let guest = try await ChatUser.create(in: server, resource: "dev")
            try await server.test { client in
                #expect(try await joiner.send(client, .post, "/chat/threads", json: #"{"topic":"x"}"#).status == .forbidden)
                #expect(try await caller.send(client, .get, "/chat/threads").status == .forbidden)
                let thread = try await owner.createThread(client, participants: [joiner.participant(), limited.participant()])
                let base = "/chat/threads/\(Self.path(thread))"
                #expect(try await joiner.sendMessage(client, thread, "hi").isEmpty == false)
                #expect(try await limited.sendMessage(client, thread, "hi").isEmpty == false)
                #expect(try await joiner.send(client, .patch, base, json: #"{"topic":"y"}"#).status == .forbidden)
                #expect(try await joiner.send(client, .delete, base).status == .forbidden)
                #expect(
                    try await limited.send(client, .post, "\(base)/participants/:add", json: #"{"participants":[\#(guest.participant())]}"#).status
                        == .forbidden)
                #expect(
                    try await joiner.send(client, .post, "\(base)/participants/:add", json: #"{"participants":[\#(guest.participant())]}"#).status
                        == .created)
                // chat.join.limited "doesn't allow to add or remove participants" (ACS), itself included; chat.join may leave.
                #expect(try await limited.send(client, .post, "\(base)/participants/:remove", json: limited.identifier).status == .forbidden)
                #expect(try await limited.send(client, .post, "\(base)/participants/:remove", json: guest.identifier).status == .forbidden)
                #expect(try await joiner.send(client, .post, "\(base)/participants/:remove", json: joiner.identifier).status == .noContent)
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func threadCreationIsIdempotentOnTheRepeatabilityRequestId(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let alice = try await ChatUser.create(in: server, resource: "dev")
            let bob = try await ChatUser.create(in: server, resource: "dev")
            try await server.test { client in
                var headers = HTTPFields()
                headers[HTTPField.Name("repeatability-request-id")!] = "a8b4b4f8-1111-4e4e-9999-000000000001"
                let first = try await alice.send(client, .post, "/chat/threads", json: #"{"topic":"once"}"#, headers: headers)
                let again = try await alice.send(client, .post, "/chat/threads", json: #"{"topic":"once"}"#, headers: headers)
                let other = try await bob.send(client, .post, "/chat/threads", json: #"{"topic":"once"}"#, headers: headers)
                let id = { (r: TestResponse) in (r.json["chatThread"] as? [String: Any])?["id"] as? String }
                #expect(first.status == .created && again.status == .created)
                #expect(id(first) == id(again))
                #expect(id(other) != id(first), "the key is per creator")
                #expect((try await alice.send(client, .get, "/chat/threads").json["value"] as? [Any])?.count == 1)
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func invalidParticipantsAreReportedWithTheirIdAsTarget(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let other = try await server.createResource("other", in: .unitedStates)
            let alice = try await ChatUser.create(in: server, resource: "dev")
            let stranger = try await ChatUser.create(in: server, resource: "other")
            _ = other
            try await server.test { client in
                let ghost = UserID(resourceID: try await server.runtime.resources.handle(named: "dev")!.id, userID: UUID()).rawID
                let body =
                    #"{"topic":"t","participants":[\#(stranger.participant()),{"communicationIdentifier":{"rawId":"\#(ghost)"}},{"communicationIdentifier":{"rawId":"4:+14255550123"}}]}"#
                let response = try await alice.send(client, .post, "/chat/threads", json: body)
                #expect(response.status == .created)
                let targets = (response.json["invalidParticipants"] as? [[String: Any]])?.compactMap { $0["target"] as? String }
                #expect(Set(targets ?? []) == [stranger.id, ghost, "4:+14255550123"])
            }
        }
    }

    /// ACS delivers typing notifications and read receipts only in threads of up to 20 participants.
    @Test(arguments: TestEngine.available)
    func typingAndReadReceiptsFanOutOnlyInThreadsOfUpToTwentyParticipants(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let alice = try await ChatUser.create(in: server, resource: "dev")
            var others: [ChatUser] = []
            for _ in 0..<20 { others.append(try await ChatUser.create(in: server, resource: "dev")) }
            let crowd = others
            let (small, large) = try await server.test { client in
                let small = try await alice.createThread(client, participants: crowd.prefix(19).map { $0.participant() })
                let large = try await alice.createThread(client, participants: crowd.map { $0.participant() })
                for thread in [small, large] {
                    let id = try await alice.sendMessage(client, thread, "read me")
                    let base = "/chat/threads/\(Self.path(thread))"
                    #expect(try await alice.send(client, .post, "\(base)/typing", json: "{}").status == .ok)
                    #expect(try await crowd[0].send(client, .post, "\(base)/readReceipts", json: #"{"chatMessageId":"\#(id)"}"#).status == .ok)
                    // The receipt is kept either way; only its notification is limited.
                    let receipts = try await alice.send(client, .get, "\(base)/readReceipts")
                    #expect((receipts.json["value"] as? [Any])?.count == 1)
                }
                return (small, large)
            }
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            func types(_ thread: String) async throws -> Set<String> {
                Set(
                    try await resource.store.read { db in
                        try await EventLog.events(after: 0, scopes: [Correlation.chat(thread: thread).scope], resource: resource, limit: 1000, in: db)
                    }.map(\.type))
            }
            let notifications: Set<String> = [ChatEventType.typingIndicatorReceived.rawValue, ChatEventType.readReceiptReceived.rawValue]
            #expect(try await types(small).isSuperset(of: notifications), "20 participants")
            #expect(try await types(large).isDisjoint(with: notifications), "21 participants")
        }
    }

    @Test(arguments: TestEngine.available)
    func limitsAreEnforcedWithClearErrors(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let alice = try await ChatUser.create(in: server, resource: "dev")
            var others: [ChatUser] = []
            for _ in 0..<250 { others.append(try await ChatUser.create(in: server, resource: "dev")) }
            let crowd = others
            try await server.test { client in
                let tooMany = try await alice.send(
                    client, .post, "/chat/threads",
                    json: #"{"topic":"crowd","participants":[\#(crowd.map { $0.participant() }.joined(separator: ","))]}"#)
                #expect(tooMany.status == .badRequest)
                #expect(tooMany.errorCode == "TooManyParticipants")
                let thread = try await alice.createThread(client, participants: Array(crowd.prefix(249)).map { $0.participant() })
                let base = "/chat/threads/\(Self.path(thread))"
                let oneMore = try await alice.send(
                    client, .post, "\(base)/participants/:add", json: #"{"participants":[\#(crowd[249].participant())]}"#)
                #expect(oneMore.status == .badRequest)

                let big = String(repeating: "x", count: 28 * 1024 + 1)
                let tooLarge = try await alice.send(client, .post, "\(base)/messages", json: #"{"content":"\#(big)"}"#)
                #expect(tooLarge.status == .badRequest)
                #expect(tooLarge.errorCode == "MessageTooLarge")
                let longTopic = try await alice.send(client, .patch, base, json: #"{"topic":"\#(String(repeating: "t", count: 257))"}"#)
                #expect(longTopic.status == .badRequest)

                for index in 0..<10 { _ = try await alice.sendMessage(client, thread, "burst \(index)") }
                let throttled = try await alice.send(client, .post, "\(base)/messages", json: #"{"content":"one too many"}"#)
                #expect(throttled.status == .tooManyRequests)
                #expect(throttled.errorCode == "TooManyRequests")
                #expect(Int(throttled.headers[.retryAfter] ?? "") ?? 0 >= 1)
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func pagesFollowNextLinksNewestFirstWithoutGapsOrRepeats(engine: TestEngine) async throws {
        var configuration = ChatLimits()
        configuration.messagesPerWindow = 1000
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let alice = try await ChatUser.create(in: server, resource: "dev")
            try await server.test(chatLimits: configuration) { client in
                let thread = try await alice.createThread(client)
                for index in 0..<25 { _ = try await alice.sendMessage(client, thread, "m\(index)") }
                let all = try await alice.messages(client, thread, pageSize: 4)
                let sequences = all.compactMap { ($0["sequenceId"] as? String).flatMap(Int.init) }
                #expect(sequences == Array((1...27).reversed()))
                for _ in 0..<3 { _ = try await alice.createThread(client) }
                var response = try await alice.send(client, .get, "/chat/threads", query: "&maxPageSize=2")
                var ids: [String] = []
                while true {
                    ids += (response.json["value"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                    guard let next = response.json["nextLink"] as? String else { break }
                    #expect(next.contains("maxPageSize=2") && next.contains("api-version="))
                    response = try await alice.follow(client, next)
                }
                #expect(ids.count == 4 && Set(ids).count == 4)
                let bad = try await alice.send(client, .get, "/chat/threads", query: "&continuationToken=nonsense!")
                #expect(bad.status == .badRequest)
                #expect(try await alice.send(client, .get, "/chat/threads", query: "&maxPageSize=0").status == .badRequest)
                // A skip beyond any list is an empty page, never an overflow.
                for skip in ["9223372036854775807", "99999999999999999999999"] {
                    let far = try await alice.send(client, .get, "/chat/threads/\(Self.path(thread))/participants", query: "&skip=\(skip)")
                    #expect(far.status == .ok, "\(far.text)")
                    #expect((far.json["value"] as? [Any])?.isEmpty == true)
                    #expect(
                        try await alice.send(client, .get, "/chat/threads/\(Self.path(thread))/readReceipts", query: "&skip=\(skip)").status == .ok)
                }
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func aRetentionPolicyDeletesTheThreadWhenItsTimeComes(engine: TestEngine) async throws {
        let clock = ManualClock()
        try await TestServer.with(engine: engine, clock: clock) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let alice = try await ChatUser.create(in: server, resource: "dev")
            let (kept, expiring) = try await server.test { client in
                let invalid = try await alice.send(
                    client, .post, "/chat/threads",
                    json: #"{"topic":"t","retentionPolicy":{"kind":"threadCreationDate","deleteThreadAfterDays":29}}"#)
                #expect(invalid.status == .badRequest)
                let expiring = try await alice.createThread(
                    client, extra: #","retentionPolicy":{"kind":"threadCreationDate","deleteThreadAfterDays":30}"#)
                let kept = try await alice.createThread(client)
                _ = try await alice.sendMessage(client, expiring, "short-lived")
                let properties = try await alice.send(client, .get, "/chat/threads/\(Self.path(expiring))")
                #expect((properties.json["retentionPolicy"] as? [String: Any])?["deleteThreadAfterDays"] as? Int == 30)
                // Changed to 60 days, then the sweeper runs on day 31 and on day 61.
                #expect(
                    try await alice.send(
                        client, .patch, "/chat/threads/\(Self.path(expiring))",
                        json: #"{"retentionPolicy":{"kind":"threadCreationDate","deleteThreadAfterDays":60}}"#
                    ).status == .noContent)
                return (kept, expiring)
            }
            let maintenance = try server.assembly().maintenance
            clock.advance(by: .seconds(31 * 86_400))
            #expect(await maintenance.sweepOnce() == 0)
            clock.advance(by: .seconds(30 * 86_400))
            #expect(await maintenance.sweepOnce() == 1)
            #expect(await maintenance.sweepOnce() == 0)
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            let threads = try await resource.store.read { db in
                try await ChatStore.thread(db, resource: resource, id: expiring)
            }
            #expect(threads?.deletedAt != nil)
            let keptThread = try await resource.store.read { db in try await ChatStore.thread(db, resource: resource, id: kept) }
            #expect(keptThread?.deletedAt == nil)
        }
    }

    @Test(arguments: TestEngine.available)
    func chatPersonalDataIsEncryptedAtRest(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let alice = try await ChatUser.create(in: server, resource: "dev")
            let bob = try await ChatUser.create(in: server, resource: "dev")
            try await server.test { client in
                let thread = try await alice.createThread(
                    client, topic: "Quarterly Secret Topic", participants: [bob.participant("Robert Secretname")])
                _ = try await alice.sendMessage(client, thread, "the launch code is 0000", displayName: "Alice Hiddenname")
            }
            let store = try await server.runtime.stores.store(for: .unitedStates)
            let dump = try await ResidencyTests.dump(store)
            for secret in ["Quarterly Secret Topic", "Robert Secretname", "the launch code is 0000", "Alice Hiddenname"] {
                #expect(!dump.contains(secret), "\(secret) in clear")
            }
            for file in ResidencyTests.sqliteFiles(under: server.dataDirectory) {
                let bytes = try Data(contentsOf: file)
                #expect(bytes.range(of: Data("the launch code".utf8)) == nil)
            }
        }
    }

    /// The send-rate count, on every send, reads one index and nothing else: the index holds the messages the limit
    /// counts and what the count reads of them, and the queries name its condition so that the engine can use it.
    @Test(arguments: TestEngine.available)
    func theSendRateWindowIsReadFromItsIndexAlone(engine: TestEngine) async throws {
        try await withTemporaryDirectory { directory in
            let database = try await DatabaseFactory.open(try await engine.makeDatabase(named: "chat-plan", in: directory), logger: .quiet)
            defer { Task { await database.shutdown() } }
            try await Migrator.migrate(database, to: StoreSchema.schema)
            let since = Timestamp(milliseconds: 1_800_000_000_000)
            let queries = [
                ChatStore.sendRosterQuery(resource: "r", thread: "t", since: since),
                ChatStore.windowQuery(resource: "r", thread: "t", since: since, offset: 3),
            ]
            for query in queries {
                let plan = try await database.transaction { db -> String in
                    if engine == .postgres {
                        // An empty table is cheaper to scan than to look up; the plan for a real one is asked for.
                        try await db.raw("SET LOCAL enable_seqscan = off").run()
                        try await db.raw("SET LOCAL enable_bitmapscan = off").run()
                        let rows = try await db.raw("EXPLAIN " + query).all()
                        return try rows.map { try $0.decode(column: "QUERY PLAN", as: String.self) }.joined(separator: "\n")
                    }
                    let rows = try await db.raw("EXPLAIN QUERY PLAN " + query).all()
                    return try rows.map { try $0.decode(column: "detail", as: String.self) }.joined(separator: "\n")
                }
                let expected = engine == .postgres ? "Index Only Scan using chat_messages_sent" : "COVERING INDEX chat_messages_sent"
                #expect(plan.contains(expected), "\(plan)")
            }
            await database.shutdown()
        }
    }
}
