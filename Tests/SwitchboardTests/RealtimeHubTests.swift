import Foundation
import Testing

@testable import Switchboard

@Suite struct RealtimeHubTests {
    /// Many concurrent senders: the session receives every event of its threads exactly once, in cursor order.
    @Test(arguments: TestEngine.available)
    func concurrentMessagesArriveOnceEachInOrder(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            var limits = ChatLimits()
            limits.messagesPerWindow = 10_000
            let assembly = try server.assembly(chatLimits: limits)
            let hub = assembly.platform.realtime
            let chat = try #require(assembly.capability(ChatCapability.self)).service
            let identities = try #require(assembly.capability(IdentityCapability.self)).service
            let token = IdentityService.TokenRequest(scopes: [.chat], lifetimeMinutes: 60)
            let alice = try await identities.create(in: resource, customID: nil, token: token).user
            let bob = try await identities.create(in: resource, customID: nil, token: token).user
            let senders = [alice, bob].map { AuthenticatedUser(id: $0, scopes: [.chat]) }

            let session = RealtimeSession(resource: resource, user: bob.rawID)
            let start = try await hub.register(session)
            let (thread, _) = try await chat.createThread(
                .init(topic: "t", participants: [.init(communicationIdentifier: .init(rawID: bob.rawID))]), by: senders[0], in: resource)
            let threads = try await withThrowingTaskGroup(of: [String].self) { group in
                for index in 0..<4 {
                    group.addTask {
                        var ids: [String] = []
                        for n in 0..<15 {
                            ids.append(
                                try await chat.sendMessage(.init(content: "\(index)-\(n)"), to: thread.id, by: senders[index % 2], in: resource))
                        }
                        return ids
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(threads.count == 60)
            var received: [RealtimeDelivery] = []
            for await delivery in session.outgoing {
                received.append(delivery)
                if received.count == 61 { break }
            }
            let cursors = received.map(\.cursor)
            #expect(cursors == cursors.sorted())
            #expect(Set(cursors).count == 61)
            #expect(cursors.first! > start)
            #expect(Set(received.compactMap { ($0.frame.data as? ChatRealtimeMessage)?.id }) == Set(threads))
            await hub.unregister(session)
            await hub.shutdown()
        }
    }

    /// A client resuming behind the day the log keeps must reload rather than silently miss events.
    @Test func resumingBehindTheKeptLogAsksForAResync() {
        #expect(!RealtimeEndpoint.missedTrimmedEvents(since: 0, oldestKept: 1), "from the beginning of a complete log")
        #expect(!RealtimeEndpoint.missedTrimmedEvents(since: 41, oldestKept: 12))
        #expect(!RealtimeEndpoint.missedTrimmedEvents(since: 41, oldestKept: 42))
        #expect(RealtimeEndpoint.missedTrimmedEvents(since: 41, oldestKept: 43), "event 42 was trimmed")
        #expect(RealtimeEndpoint.missedTrimmedEvents(since: 41, oldestKept: nil), "the whole log was trimmed")
    }

    /// The message a session receives for a logged event, as the client parses it.
    static func message(for data: ChatEventData, type: ChatEventType, id: Int64, recipient: String) throws -> [String: JSONValue] {
        let event = LoggedEvent(
            header: EventHeader(id: id, type: type.rawValue, recipients: [recipient], createdAt: Timestamp(Date())),
            data: try JSONBody.encoder.encode(data))
        let frame = try #require(Capabilities.eventCatalog.decode(event)?.realtimeFrame)
        let text = try RealtimeDelivery(cursor: id, frame: frame).message(for: recipient)
        guard case .object(let message) = try JSONBody.decoder.decode(JSONValue.self, from: Data(text.utf8)) else { return [:] }
        return message
    }

    @Test func actorsAreParticipantsAsTheSDKsRealtimeEventsCarryThem() throws {
        var data = ChatEventData(threadId: "19:x@thread.v2", transactionId: nil, time: Date(timeIntervalSince1970: 1), actor: "8:acs:a_b")
        data.actorDisplayName = "Alice"
        data.topic = "Lunch"
        data.threadMetadata = ["k": "v"]
        data.retentionDays = 40
        let message = try Self.message(for: data, type: .threadCreated, id: 3, recipient: "8:acs:a_b")
        guard case .object(let fields) = message["data"], case .object(let createdBy) = fields["createdBy"],
            case .object(let id) = createdBy["id"], case .object(let properties) = fields["properties"],
            case .object(let retention) = properties["retentionPolicy"]
        else { Issue.record("unexpected shape: \(message)"); return }
        #expect(id["rawId"] == .string("8:acs:a_b"))
        #expect(createdBy["displayName"] == .string("Alice"))
        #expect(properties["metadata"] == .object(["k": .string("v")]))
        #expect(retention["deleteThreadAfterDays"] == .number(40))
    }

    @Test func eventsAreProjectedWithTheSDKsRealtimeNames() throws {
        var data = ChatEventData(threadId: "19:x@thread.v2", transactionId: nil, time: Date(timeIntervalSince1970: 1), actor: "8:acs:a_b")
        data.messageId = "1"
        data.messageType = "text"
        data.messageBody = "hello"
        data.actorDisplayName = "Alice"
        data.version = 7
        let message = try Self.message(for: data, type: .messageReceived, id: 9, recipient: "8:acs:a_c")
        #expect(message["type"] == .string("chatMessageReceived"))
        #expect(message["cursor"] == .number(9))
        guard case .object(let fields) = message["data"] else { Issue.record("no data"); return }
        #expect(fields["message"] == .string("hello"))
        #expect(fields["version"] == .string("7"))
        guard case .object(let recipient) = fields["recipient"] else { Issue.record("no recipient"); return }
        #expect(recipient["rawId"] == .string("8:acs:a_c"))
    }
}
