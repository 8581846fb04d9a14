import Foundation
import Logging
import SMPP
import Synchronization
import Testing

@testable import Switchboard

/// The SMPP carrier against the SMPP library's SMSC simulator: the bind and its recovery, the window, throttling and
/// refusals, receipts and mobile-originated messages acknowledged only once recorded. (Through the whole server and
/// the Python SMSC peer in `conformance/test_sms.py`.)
@Suite struct SMPPCarrierTests {
    /// Records what the carrier hands back; can be told to fail, as a store that is down would.
    final class RecordingSink: SMSTrafficSink {
        let receipts = Mutex<[SMSReceipt]>([])
        let inbound = Mutex<[SMSInbound]>([])
        let failures = Mutex(0)
        /// The carrier ids whose submissions are recorded; nil: every one.
        let known = Mutex<Set<String>?>(nil)
        /// The carrier ids of every batch the carrier handed over, and the sizes of those that recorded something.
        let asked = Mutex<[[String]]>([])
        let recordedBatches = Mutex<[Int]>([])

        func receipts(_ receipts: [SMSReceipt]) async throws -> [Bool] {
            if failures.withLock({ count in
                defer { count = max(0, count - 1) }
                return count > 0
            }) {
                throw SMSError.invalid("the store is down", target: nil)
            }
            asked.withLock { $0.append(receipts.map(\.carrierMessageID)) }
            let known = self.known.withLock { $0 }
            let found = receipts.map { known?.contains($0.carrierMessageID) ?? true }
            let recorded = zip(receipts, found).filter(\.1).map(\.0)
            self.receipts.withLock { $0.append(contentsOf: recorded) }
            if !recorded.isEmpty { recordedBatches.withLock { $0.append(recorded.count) } }
            return found
        }

        func inbound(_ message: SMSInbound) async throws {
            inbound.withLock { $0.append(message) }
        }
    }

    func withCarrier(
        password: String = "secret", _ body: (SMPPCarrier, SMSCSimulator, RecordingSink, Messages) async throws -> Void
    ) async throws {
        try await TestServer.with { server in
            _ = try await server.createResource("shop", in: .unitedStates)
            let resource = try #require(try await server.runtime.resources.handle(named: "shop"))
            try await withCarrier(password: password, messages: Messages(resource: resource), body)
        }
    }

    func withCarrier(
        password: String, messages: Messages, _ body: (SMPPCarrier, SMSCSimulator, RecordingSink, Messages) async throws -> Void
    ) async throws {
        let simulator = try await SMSCSimulator.start(configuration: SMSCSimulatorConfiguration(credentials: ["switchboard": "secret"]))
        let sink = RecordingSink()
        let relay = SMSTrafficRelay(clock: SystemClock())
        relay.connect(sink)
        let configuration = try SMPPCarrierConfiguration(
            parsing: "acme=smpp://switchboard:\(password)@127.0.0.1:\(simulator.port)?window=4&enquireLink=1")
        let carrier = SMPPCarrier(configuration: configuration, sink: relay, logger: Logger(label: "test"))
        let running = Task { try await carrier.run() }
        do {
            try await body(carrier, simulator, sink, messages)
        } catch {
            running.cancel()
            await simulator.shutdown()
            throw error
        }
        running.cancel()
        await simulator.shutdown()
    }

    /// Submissions as the outbox hands them over (the carrier never reads their resource).
    struct Messages {
        let resource: ResourceHandle

        func callAsFunction(_ to: String, _ text: String = "Your order has shipped.") -> SMSSubmission {
            SMSSubmission(
                messageID: UUID().uuidString, resource: resource, from: "+18005550100", to: to, text: text,
                segments: SMSEncoding.plan(text).segmentCount, wantsReceipt: true)
        }
    }

    /// Waits until the carrier holds a bind (the simulator sees it a moment before the carrier can use it).
    func bound(_ simulator: SMSCSimulator, _ carrier: SMPPCarrier) async throws {
        try await simulator.waitUntil("bound") { _ in carrier.binds.load(ordering: .relaxed) >= 1 }
    }

    @Test func submitsEverySegmentWithinItsWindowAndHandsBackReceiptsAndInboundMessages() async throws {
        try await withCarrier { carrier, simulator, sink, message in
            try await bound(simulator, carrier)
            simulator.setResponseDelay(.milliseconds(20))
            let long = String(repeating: "A long update. ", count: 20)
            let outcomes = await carrier.submit([message("+14255550101"), message("+14255550102"), message("+14255550103", long)])
            guard case .accepted(let ids) = outcomes[2] else { Issue.record("\(outcomes)"); return }
            #expect(ids.count == 2)
            #expect(outcomes.allSatisfy { if case .accepted = $0 { true } else { false } })
            #expect(simulator.receivedMessages.map(\.text).sorted() == ["Your order has shipped.", "Your order has shipped.", long].sorted())
            #expect(simulator.receivedSubmits.allSatisfy { $0.pdu.source.address == "18005550100" && $0.pdu.source.ton == .international })

            try await simulator.waitUntil("receipts") { _ in sink.receipts.withLock { $0.count } == 4 }
            #expect(Set(sink.receipts.withLock { $0.map(\.carrierMessageID) }).isSuperset(of: ids))
            #expect(sink.receipts.withLock { $0.allSatisfy { $0.status == .delivered && $0.carrier == "acme" } })

            try simulator.sendMO(from: "14255550101", to: "18005550100", text: "STOP")
            try await simulator.waitUntil("inbound") { _ in !sink.inbound.withLock { $0.isEmpty } }
            let inbound = try #require(sink.inbound.withLock { $0.first })
            #expect(inbound.from == "+14255550101" && inbound.to == "+18005550100" && inbound.text == "STOP")
        }
    }

    /// A fast SMSC's receipts come before the outbox committed the submissions' ids: they wait aside and are tried
    /// again together (one batch, not one transaction each) once the outbox says it recorded submissions.
    @Test func receiptsThatOutrunTheirSubmissionsAreRecordedTogetherOnceTheSubmissionsAre() async throws {
        try await withCarrier { carrier, simulator, sink, message in
            try await bound(simulator, carrier)
            sink.known.withLock { $0 = [] }
            let outcomes = await carrier.submit((0..<8).map { message("+1425555013\($0)") })
            let ids = outcomes.flatMap { outcome -> [String] in if case .accepted(let ids) = outcome { ids } else { [] } }
            #expect(ids.count == 8)
            try await simulator.waitUntil("every receipt tried") { _ in
                Set(sink.asked.withLock { $0.joined() }).isSuperset(of: ids)
            }
            #expect(sink.receipts.withLock { $0.isEmpty })
            #expect(simulator.deliveryAcknowledgements.isEmpty)
            sink.known.withLock { $0 = Set(ids) }
            carrier.submissionsRecorded()
            try await simulator.waitUntil("receipts recorded") { _ in sink.receipts.withLock { $0.count } == 8 }
            #expect(sink.recordedBatches.withLock { $0 } == [8])
            try await simulator.waitUntil("receipts acknowledged") { _ in
                simulator.deliveryAcknowledgements.filter { $0.status == .ok }.count == 8
            }
        }
    }

    @Test func throttlingIsRetriedAfterAPauseAndARefusalFailsTheMessage() async throws {
        try await withCarrier { carrier, simulator, _, message in
            try await bound(simulator, carrier)
            simulator.throttleNextSubmits(1)
            simulator.failSubmits(to: "14255550199")
            let outcomes = await carrier.submit([message("+14255550111")])
            #expect(outcomes == [.retry("ESME_RTHROTTLED", after: .seconds(1))])
            let refused = await carrier.submit([message("+14255550199")])
            guard case .failed(let reason) = refused.first else { Issue.record("\(refused)"); return }
            #expect(reason.contains("ESME_RINVDSTADR"))
            let again = await carrier.submit([message("+14255550111")])
            #expect(again.count == 1 && again.allSatisfy { if case .accepted = $0 { true } else { false } })
        }
    }

    @Test func aDroppedConnectionIsBoundAgainAndWhatWasNotRecordedIsDeliveredAgain() async throws {
        try await withCarrier { carrier, simulator, sink, message in
            try await bound(simulator, carrier)
            simulator.dropConnections()
            try await simulator.waitUntil("bound again") { _ in carrier.binds.load(ordering: .relaxed) == 2 }
            // A receipt that could not be recorded is refused to the SMSC, which delivers it again.
            sink.failures.withLock { $0 = 1 }
            let outcomes = await carrier.submit([message("+14255550121")])
            #expect(outcomes.allSatisfy { if case .accepted = $0 { true } else { false } })
            try await simulator.waitUntil("receipt recorded") { _ in sink.receipts.withLock { $0.count } == 1 }
            #expect(simulator.deliveryAcknowledgements.contains { $0.status == .systemError })
        }
    }

    @Test func aRefusedBindIsRetriedAndNothingIsSubmittedMeanwhile() async throws {
        try await withCarrier(password: "wrong") { carrier, simulator, _, message in
            try await simulator.waitUntil("attempted") { $0.connectionCount >= 1 }
            let outcomes = await carrier.submit([message("+14255550131")])
            guard case .retry(let reason, _) = outcomes.first else { Issue.record("\(outcomes)"); return }
            #expect(reason.contains("not bound"))
            #expect(simulator.receivedSubmits.isEmpty)
        }
    }

    @Test func theCarrierAddressIsParsedStrictlyAndNeverEchoesThePassword() throws {
        let parsed = try SMPPCarrierConfiguration(parsing: "acme=smpps://sys%40id:p%3Ass@smsc.example:2776?window=20&geography=europe")
        #expect(parsed.systemID == "sys@id" && parsed.password == "p:ss" && parsed.tls && parsed.window == 20 && parsed.geography == .europe)
        #expect(parsed.concatenation == .udh)
        #expect(try SMPPCarrierConfiguration(parsing: "acme=smpp://a:b@h:1?concatenation=payload").concatenation == .messagePayload)
        for bad in [
            "acme", "acme=http://a:b@h:1", "acme=smpp://h:1", "acme=smpp://a:b@h:1?bind=tx", "acme=smpp://a:b@h:1?window=0",
            "acme=smpp://a:hunter2@h:1?colour=red", "acme=smpp://a:b@h:1?concatenation=split", "a b=smpp://a:b@h:1",
        ] {
            #expect(throws: ConfigurationError.self) { try SMPPCarrierConfiguration(parsing: bad) }
            do { _ = try SMPPCarrierConfiguration(parsing: bad) } catch { #expect(!"\(error)".contains("hunter2")) }
        }
    }
}
