import NIOCore
import Synchronization
import Testing

@testable import SMPP

@Suite struct ClientSimulatorTests {
    static let alice = SMPPAddress.international("+15550001")
    static let bob = SMPPAddress.international("+15550002")

    static func message(_ text: String, to destination: SMPPAddress = bob, receipt: RegisteredDelivery = .none) -> SubmitSM {
        SubmitSM(source: alice, destination: destination, registeredDelivery: receipt, shortMessage: SMSText.encode(text, as: .gsm7))
    }

    @Test func bindsAndUnbinds() async throws {
        try await withSimulator { simulator in
            let client = try await SMPPClient.connect(configuration: testConfiguration(simulator))
            #expect(client.bindResponse.systemID == "SIMSMSC")
            #expect(client.bindResponse.tlvs.scInterfaceVersion == 0x34)
            #expect(simulator.boundSessions == [SMSCBoundSession(systemID: "test", mode: .transceiver)])
            await client.close()
            #expect(!client.isActive)
            try await simulator.waitUntil("disconnect") { $0.connectionCount == 0 }
        }
    }

    @Test func bindWithBadCredentialsFails() async throws {
        try await withSimulator { simulator in
            var configuration = testConfiguration(simulator)
            configuration.password = "wrong"
            await #expect(throws: SMPPClientError.bindFailed(.invalidPassword)) {
                _ = try await SMPPClient.connect(configuration: configuration)
            }
            configuration.systemID = "stranger"
            await #expect(throws: SMPPClientError.bindFailed(.invalidSystemID)) {
                _ = try await SMPPClient.connect(configuration: configuration)
            }
            try await simulator.waitUntil("disconnect") { $0.connectionCount == 0 }
        }
    }

    @Test func submitReturnsMessageIDs() async throws {
        try await withSimulator { simulator in
            let client = try await SMPPClient.connect(configuration: testConfiguration(simulator))
            var ids: [String] = []
            for text in ["one", "two", "three"] {
                let result = try await client.submit(Self.message(text))
                #expect(result.isSuccess)
                ids.append(try #require(result.messageID))
            }
            #expect(Set(ids).count == 3)
            #expect(simulator.receivedMessages.map(\.text) == ["one", "two", "three"])
            #expect(simulator.receivedMessages.map(\.messageIDs) == ids.map { [$0] })
            await client.close()
        }
    }

    @Test func longTextIsSegmentedAndReassembled() async throws {
        try await withSimulator { simulator in
            let client = try await SMPPClient.connect(configuration: testConfiguration(simulator))
            let text = String(repeating: "Grüße aus Köln 👋🏽 ", count: 12)
            let results = try await client.submit(text: text, from: Self.alice, to: Self.bob, registeredDelivery: .none)
            #expect(results.count == SMSEncoding.plan(text).segmentCount)
            #expect(results.allSatisfy { $0.isSuccess })
            let received = try #require(simulator.receivedMessages.first)
            #expect(received.text == text)
            #expect(received.dataCoding == .ucs2)
            #expect(received.messageIDs == results.compactMap(\.messageID))
            let payload = try await client.submit(text: "payload " + text, from: Self.alice, to: Self.bob, method: .messagePayload)
            #expect(payload.count == 1)
            #expect(simulator.receivedMessages.last?.text == "payload " + text)
            await client.close()
        }
    }

    @Test func windowLimitIsRespected() async throws {
        try await withSimulator { simulator in
            let client = try await SMPPClient.connect(configuration: testConfiguration(simulator, window: 3))
            simulator.holdResponses()
            try await withThrowingTaskGroup(of: SubmitResult.self) { group in
                for index in 0..<10 {
                    group.addTask { try await client.submit(Self.message("m\(index)")) }
                }
                try await simulator.waitUntil("window full") { $0.heldResponseCount == 3 }
                try await Task.sleep(for: .milliseconds(20))
                #expect(simulator.receivedSubmits.count == 3)
                #expect(await client.outstandingRequestCount() == 3)
                simulator.releaseResponses()
                var results: [SubmitResult] = []
                for try await result in group { results.append(result) }
                #expect(results.count == 10)
                #expect(results.allSatisfy { $0.isSuccess })
            }
            #expect(simulator.receivedSubmits.count == 10)
            await client.close()
        }
    }

    @Test func throttlingIsATransientStatus() async throws {
        try await withSimulator { simulator in
            let client = try await SMPPClient.connect(configuration: testConfiguration(simulator))
            simulator.throttleNextSubmits(2)
            let first = try await client.submit(Self.message("a"))
            let second = try await client.submit(Self.message("b"))
            let third = try await client.submit(Self.message("c"))
            #expect(first.status == .throttled)
            #expect(first.isTransient)
            #expect(first.messageID == nil)
            #expect(second.status == .throttled)
            #expect(third.isSuccess)
            #expect(simulator.receivedMessages.map(\.text) == ["c"])
            simulator.throttleNextSubmits(1, status: .messageQueueFull)
            #expect(try await client.submit(Self.message("d")).status == .messageQueueFull)
            await client.close()
        }
    }

    @Test func permanentFailureForDestination() async throws {
        try await withSimulator { simulator in
            let client = try await SMPPClient.connect(configuration: testConfiguration(simulator))
            simulator.failSubmits(to: "15559999")
            let result = try await client.submit(Self.message("x", to: .international("+15559999")))
            #expect(result.status == .invalidDestinationAddress)
            #expect(!result.isTransient)
            #expect(try await client.submit(Self.message("y")).isSuccess)
            await client.close()
        }
    }

    @Test func receiptsArriveThroughDeliveries() async throws {
        try await withSimulator { simulator in
            let client = try await SMPPClient.connect(configuration: testConfiguration(simulator))
            let collector = DeliveryCollector(client)
            simulator.setDeliveryOutcome(for: "15550003", state: .undeliverable, errorCode: "034")
            let delivered = try await client.submit(Self.message("hello", receipt: .onSuccessOrFailure))
            let failed = try await client.submit(Self.message("nope", to: .international("+15550003"), receipt: .onFailure))
            _ = try await client.submit(Self.message("quiet", receipt: .onFailure))
            let deliveries = try await collector.waitFor(count: 2)
            let receipts = deliveries.compactMap(\.receipt)
            #expect(receipts.count == 2)
            let first = try #require(receipts.first { $0.messageID == delivered.messageID })
            #expect(first.state == .delivered)
            #expect(first.text == "hello")
            let second = try #require(receipts.first { $0.messageID == failed.messageID })
            #expect(second.state == .undeliverable)
            #expect(second.errorCode == "034")
            #expect(second.networkErrorCode == NetworkErrorCode(networkType: 3, errorCode: 34))
            #expect(deliveries.allSatisfy { $0.pdu.esmClass.isDeliveryReceipt && $0.pdu.destination == Self.alice })
            #expect(simulator.deliveryAcknowledgements.isEmpty)
            for delivery in deliveries { delivery.acknowledge() }
            try await simulator.waitUntil("acks") { $0.deliveryAcknowledgements.count == 2 }
            #expect(simulator.deliveryAcknowledgements.allSatisfy { $0.status == .ok && $0.isReceipt })
            #expect(simulator.unacknowledgedDeliveryCount == 0)
            await client.close()
        }
    }

    @Test func mobileOriginatedMessagesArriveAndReassemble() async throws {
        try await withSimulator { simulator in
            let client = try await SMPPClient.connect(configuration: testConfiguration(simulator))
            let collector = DeliveryCollector(client, autoAcknowledge: true)
            try simulator.sendMO(from: "+15550007", to: "+15550001", text: "STOP")
            let long = String(repeating: "A reply that needs more than one part. ", count: 6)
            try simulator.sendMO(from: "+15550007", to: "+15550001", text: long)
            let deliveries = try await collector.waitFor(count: 1 + SMSEncoding.plan(long).segmentCount)
            #expect(deliveries.allSatisfy { !$0.isDeliveryReceipt })
            var assembler = ConcatenatedMessageAssembler()
            let texts = deliveries.compactMap { assembler.add($0.pdu)?.text }
            #expect(texts == ["STOP", long])
            #expect(deliveries[0].pdu.source.address == "15550007")
            try await simulator.waitUntil("acks") { $0.deliveryAcknowledgements.count == deliveries.count }
            await client.close()
        }
    }

    @Test func unacknowledgedDeliveriesAreRedelivered() async throws {
        try await withSimulator { simulator in
            let first = try await SMPPClient.connect(configuration: testConfiguration(simulator))
            let firstCollector = DeliveryCollector(first)
            try simulator.sendMO(from: "+15550007", to: "+15550001", text: "at least once")
            _ = try await firstCollector.waitFor(count: 1)
            // Crash before storing: no deliver_sm_resp, connection gone.
            simulator.dropConnections()
            await first.waitUntilClosed()
            try await eventually("stream finished") { firstCollector.isFinished }

            let second = try await SMPPClient.connect(configuration: testConfiguration(simulator))
            let secondCollector = DeliveryCollector(second)
            let redelivered = try await secondCollector.waitFor(count: 1)
            #expect(redelivered[0].text == "at least once")
            // A temporary application error makes the SMSC try again on the same session.
            redelivered[0].acknowledge(.receiverTemporaryAppError)
            let again = try await secondCollector.waitFor(count: 2)
            #expect(again[1].text == "at least once")
            again[1].acknowledge()
            try await simulator.waitUntil("final ack") { $0.deliveryAcknowledgements.last?.status == .ok }
            #expect(simulator.deliveryAcknowledgements.map(\.attempt) == [2, 3])
            #expect(simulator.unacknowledgedDeliveryCount == 0)
            await second.close()
        }
    }

    @Test func processDeliveriesAcknowledgesAfterTheHandler() async throws {
        try await withSimulator { simulator in
            let client = try await SMPPClient.connect(configuration: testConfiguration(simulator))
            let seen = Mutex<[String]>([])
            let consumer = Task {
                await client.processDeliveries { delivery in
                    let count = seen.withLock { texts in
                        texts.append(delivery.text)
                        return texts.count
                    }
                    if count == 1 { throw ConditionTimeout(description: "database unavailable") }
                }
            }
            try simulator.sendMO(from: "+15550007", to: "+15550001", text: "retry me")
            try await simulator.waitUntil("stored") { $0.deliveryAcknowledgements.last?.status == .ok }
            #expect(seen.withLock { $0 } == ["retry me", "retry me"])
            #expect(simulator.deliveryAcknowledgements.map(\.status) == [.receiverTemporaryAppError, .ok])
            await client.close()
            await consumer.value
        }
    }

    @Test func enquireLinkKeepAlive() async throws {
        try await withSimulator { simulator in
            var configuration = testConfiguration(simulator)
            configuration.enquireLinkInterval = .milliseconds(10)
            let client = try await SMPPClient.connect(configuration: configuration)
            try await simulator.waitUntil("keep-alives") { $0.enquireLinksReceived >= 3 }
            try await client.enquireLink()
            #expect(client.isActive)
            await client.close()
        }
    }

    @Test func connectionDropFailsOutstandingSubmits() async throws {
        try await withSimulator { simulator in
            let client = try await SMPPClient.connect(configuration: testConfiguration(simulator, window: 2))
            let collector = DeliveryCollector(client)
            simulator.holdResponses()
            try await withThrowingTaskGroup(of: Result<SubmitResult, SMPPClientError>.self) { group in
                for index in 0..<4 {
                    group.addTask {
                        do {
                            return .success(try await client.submit(Self.message("m\(index)")))
                        } catch let error as SMPPClientError {
                            return .failure(error)
                        }
                    }
                }
                try await simulator.waitUntil("in flight") { $0.heldResponseCount == 2 }
                simulator.dropConnections()
                var failures: [SMPPClientError] = []
                for try await result in group {
                    if case .failure(let error) = result { failures.append(error) }
                }
                #expect(failures == Array(repeating: .connectionClosed, count: 4))
                #expect(failures.allSatisfy { $0.isTransient })
            }
            await client.waitUntilClosed()
            try await eventually("stream finished") { collector.isFinished }
            await #expect(throws: SMPPClientError.connectionClosed) {
                _ = try await client.submit(Self.message("late"))
            }
        }
    }

    @Test func responseTimeoutFreesTheWindow() async throws {
        try await withSimulator { simulator in
            var configuration = testConfiguration(simulator, window: 1)
            configuration.responseTimeout = .milliseconds(50)
            let client = try await SMPPClient.connect(configuration: configuration)
            simulator.holdResponses()
            await #expect(throws: SMPPClientError.responseTimeout(.submitSM)) {
                _ = try await client.submit(Self.message("slow"))
            }
            #expect(await client.outstandingRequestCount() == 0)
            // With a window of 1, the next submit can only go out because the timeout freed the slot.
            await #expect(throws: SMPPClientError.responseTimeout(.submitSM)) {
                _ = try await client.submit(Self.message("also slow"))
            }
            try await simulator.waitUntil("second submit") { $0.receivedSubmits.count == 2 }
            // Late responses to timed-out requests are ignored.
            simulator.releaseResponses()
            await client.close()
        }
    }

    @Test func closeAbandonsQueuedSubmits() async throws {
        try await withSimulator { simulator in
            let client = try await SMPPClient.connect(configuration: testConfiguration(simulator, window: 1))
            simulator.holdResponses()
            async let first = Result { try await client.submit(Self.message("first")) }
            try await simulator.waitUntil("first in flight") { $0.heldResponseCount == 1 }
            async let second = Result { try await client.submit(Self.message("second")) }
            try await eventually("second queued") { await client.queuedRequestCount() == 1 }
            await client.close()
            let firstResult = await first
            let secondResult = await second
            #expect(throws: SMPPClientError.connectionClosed) { try firstResult.get() }
            #expect(throws: SMPPClientError.closing) { try secondResult.get() }
        }
    }

    @Test func receiverBindCannotSubmit() async throws {
        try await withSimulator { simulator in
            var configuration = testConfiguration(simulator)
            configuration.bindMode = .receiver
            let client = try await SMPPClient.connect(configuration: configuration)
            await #expect(throws: SMPPClientError.notAllowedByBindMode(.receiver)) {
                _ = try await client.submit(Self.message("no"))
            }
            await client.close()
        }
    }

    @Test func invalidPDUIsRejectedLocallyWithoutHarmingTheSession() async throws {
        try await withSimulator { simulator in
            let client = try await SMPPClient.connect(configuration: testConfiguration(simulator))
            var bad = Self.message("x")
            bad.destination.address = String(repeating: "9", count: 30)
            await #expect(throws: SMPPClientError.invalidPDU(.fieldTooLong(field: "destination_addr", maximumLength: 20, actual: 30))) {
                _ = try await client.submit(bad)
            }
            #expect(try await client.submit(Self.message("fine")).isSuccess)
            await client.close()
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
