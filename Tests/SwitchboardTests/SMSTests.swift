import AsyncHTTPClient
import Foundation
import HTTPTypes
import SQLKit
import Testing

@testable import Switchboard

/// SMS from the API to the sandbox carrier and back, on both engines, with the outbox driven by hand on a manual
/// clock: the gate, submission, receipts, the deadline, keywords, and what is kept of a message once it is done.
/// (The official SDK drives the same paths in `conformance/test_sms.py`.)
@Suite struct SMSTests {
    struct Fixture {
        let server: TestServer
        let assembly: Assembly
        let sms: SMSService
        let numbers: NumbersService
        let policy: PolicyService
        let resource: ResourceHandle
        let clock: ManualClock
        let number: String

        /// Runs the delivery workers until nothing is due.
        func deliver() async {
            while await assembly.worker.pass() {}
        }

        func consent(_ recipient: String) async throws {
            _ = try await policy.recordConsent(
                .init(
                    recipient: recipient, channel: .sms, programID: MessagingProgram.defaultID, kind: .written,
                    evidence: Consent.Evidence(medium: "webForm", callToAction: "Text me. STOP to end.")),
                in: resource, serverURL: "https://127.0.0.1:8443")
        }

        func send(_ to: [String], _ text: String = "Your order has shipped.", report: Bool = true, timeout: Int? = nil) async throws
            -> [SMSSendResult]
        {
            try await sms.send(
                .init(
                    from: number, recipients: to.map { .init(to: $0) }, message: text, deliveryReport: report, tag: "t", reportTimeoutSeconds: timeout
                ),
                in: resource)
        }

        func message(_ id: String?) async throws -> SMSStore.Message {
            let id = try #require(id)
            return try #require(try await sms.message(id, in: resource))
        }

        func events(_ type: SMSEventType) async throws -> [SMSEventData] {
            try await resource.store.read { db in
                try await EventLog.events(since: Timestamp(milliseconds: 0), resource: resource, limit: 1000, in: db)
            }.filter { $0.type == type.rawValue }.map { try JSONBody.decoder.decode(SMSEventData.self, from: $0.data) }
        }

        func outboxPayloads(kind: String) async throws -> [Data?] {
            try await resource.store.read { db in
                try await db.select().column("payload").from("outbox").where("kind", .equal, kind).all(decodingColumn: "payload", as: Data?.self)
            }
        }
    }

    func withSMS(engine: TestEngine, pacing: SMSPacing = SMSPacing(), _ body: (Fixture) async throws -> Void) async throws {
        let clock = ManualClock()
        try await TestServer.with(engine: engine, clock: clock) { server in
            _ = try await server.createResource("shop", in: .unitedStates)
            let resource = try #require(try await server.runtime.resources.handle(named: "shop"))
            var runtime = server.runtime
            runtime.configuration.sms.pacing = pacing
            let assembly = try Assembly(runtime: runtime, httpClient: .shared)
            let numbers = try #require(assembly.capability(NumbersCapability.self)).service
            let number = try await numbers.buySandboxTollFreeNumber(in: resource)
            try await body(
                Fixture(
                    server: server, assembly: assembly, sms: try #require(assembly.capability(SMSCapability.self)).service, numbers: numbers,
                    policy: assembly.platform.policy, resource: resource, clock: clock, number: number))
        }
    }

    /// Ids as ACS makes them (`Outgoing_20230118181300ff00e5c9-876d-4958-86e3-4637484fe5bd_noam`): the UTC time of
    /// the send, then a UUID, so the ids of one moment sort together.
    @Test func messageIDsLeadWithTheirUTCTimeAsACSMakesThem() throws {
        let id = SMSService.messageID(outbound: true, at: Timestamp(milliseconds: 1_674_065_580_999))
        #expect(id.hasPrefix("Outgoing_20230118181300") && id.hasSuffix("_noam"))
        #expect(UUID(uuidString: String(id.dropFirst("Outgoing_20230118181300".count).dropLast("_noam".count))) != nil)
        #expect(SMSService.messageID(outbound: false, at: Timestamp(milliseconds: 0)).hasPrefix("Incoming_19700101000000"))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        var generator = SystemRandomNumberGenerator()
        // Leap days, century years and the turn of a year, then random moments up to 2400.
        let moments: [Int64] =
            [951_782_400_000, 951_868_799_000, 1_709_164_800_000, 4_107_542_399_000, 1_735_689_599_000, 1_735_689_600_000]
            + (0..<2000).map { _ in Int64.random(in: 0...13_569_465_600_000, using: &generator) }
        for milliseconds in moments {
            let parts = calendar.dateComponents(
                [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(milliseconds / 1000)))
            let expected = String(
                format: "%04d%02d%02d%02d%02d%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0,
                parts.second ?? 0)
            #expect(SMSService.compactUTC(Timestamp(milliseconds: milliseconds)) == expected, "\(milliseconds)")
        }
    }

    @Test(arguments: TestEngine.available)
    func aMessageGoesThroughTheGateToTheCarrierAndItsReceiptBecomesAReport(engine: TestEngine) async throws {
        try await withSMS(engine: engine) { f in
            try await f.consent("+14255550101")
            try await f.consent("+14255550000")
            let results = try await f.send(["+14255550101", "+14255550000", "+14255550102"])
            #expect(results.map(\.successful) == [true, true, false])
            #expect(results[2].httpStatusCode == 403 && results[2].errorMessage?.hasPrefix("ConsentRequired") == true)
            #expect(try await f.message(results[0].messageId).status == .queued)

            await f.deliver()
            // Accepted by the carrier: the body left with the submission, erased from the outbox row.
            #expect(try await f.message(results[0].messageId).status == .sent)
            #expect(try await f.outboxPayloads(kind: SMSService.submitKind).allSatisfy { $0 == nil })
            #expect(try await f.events(.deliveryReport).isEmpty)

            f.clock.advance(by: .seconds(1))
            await f.deliver()
            let delivered = try await f.message(results[0].messageId)
            #expect(delivered.status == .delivered && delivered.segmentsSucceeded == 1)
            #expect(try await f.message(results[1].messageId).status == .failed)
            let reports = try await f.events(.deliveryReport)
            #expect(Set(reports.map(\.deliveryStatus)) == ["Delivered", "Failed"])
            #expect(reports.allSatisfy { $0.tag == "t" && $0.from == f.number })
            // The deadlines were withdrawn with the receipts.
            #expect(try await f.outboxPayloads(kind: SMSService.timeoutKind).isEmpty)
        }
    }

    @Test(arguments: TestEngine.available)
    func noReceiptBeforeTheDeadlineEndsTheMessageAsFailed(engine: TestEngine) async throws {
        try await withSMS(engine: engine) { f in
            try await f.consent("+14255550111")
            let sent = try await f.send(["+14255550111"], timeout: 60)
            let result = try #require(sent.first)
            // The carrier is never reached before the deadline (the node was down): the message expires.
            f.clock.advance(by: .seconds(61))
            await f.deliver()
            let expired = try await f.message(result.messageId)
            #expect(expired.status == .expired)
            let report = try #require(try await f.events(.deliveryReport).first)
            #expect(report.deliveryStatus == "Failed")
            #expect(report.deliveryAttempts?.first?.segmentsFailed == 1)
            #expect(try await f.sandboxCount() == 0)
        }
    }

    @Test(arguments: TestEngine.available)
    func stopOptsOutOfTheProgramAndIsAnsweredOnceAndTheBodyIsNotKept(engine: TestEngine) async throws {
        try await withSMS(engine: engine) { f in
            try await f.consent("+14255550121")
            #expect(try await f.send(["+14255550121"], report: false)[0].successful)
            let inbound = try await f.sms.sandboxReceive(
                from: "+14255550121", to: f.number, text: "Stop", in: f.resource, serverURL: "https://127.0.0.1:8443")
            #expect(inbound.hasPrefix("Incoming_"))
            let received = try #require(try await f.events(.received).first)
            #expect(received.message == "Stop" && received.from == "+14255550121" && received.to == f.number)
            let refused = try await f.send(["+14255550121"])[0]
            #expect(refused.httpStatusCode == 403 && refused.errorMessage?.hasPrefix("RecipientOptedOut") == true)

            await f.deliver()
            let handset = try await f.sms.sandboxMessages(handset: "+14255550121", limit: 10, in: f.resource).map(\.body)
            #expect(handset.filter { $0.contains("unsubscribed") }.count == 1)

            // Nothing is waiting to deliver the received message's event: it leaves the log at the next sweep.
            try await f.sweep()
            #expect(try await f.events(.received).isEmpty)
        }
    }

    @Test(arguments: TestEngine.available)
    func aRepeatabilityIDSendsOnceAndAReplayReturnsTheFirstResult(engine: TestEngine) async throws {
        try await withSMS(engine: engine) { f in
            try await f.consent("+14255550131")
            let request = SMSService.SendRequest(
                from: f.number,
                recipients: [.init(to: "+14255550131", repeatabilityRequestID: "r-1"), .init(to: "+14255550131", repeatabilityRequestID: "r-1")],
                message: "Once")
            let first = try await f.sms.send(request, in: f.resource)
            #expect(first[0].repeatabilityResult == "accepted")
            #expect(first[1].repeatabilityResult == "rejected" && first[1].messageId == first[0].messageId)
            let again = try await f.sms.send(request, in: f.resource)
            #expect(again.allSatisfy { $0.repeatabilityResult == "rejected" && $0.messageId == first[0].messageId })
            await f.deliver()
            #expect(try await f.sandboxCount() == 1)
        }
    }
}

extension SMSTests {
    @Test(arguments: TestEngine.available)
    func eachSenderKeepsItsCarriersPaceAndALongQueueIsRefusedWith429(engine: TestEngine) async throws {
        // One message a second from a toll-free number, five at once: ten minutes of that pace is 600 queued.
        try await withSMS(engine: engine, pacing: SMSPacing(perMinute: [.tollFree: 60])) { f in
            let recipients = (0..<12).map { "+1425555\(String(format: "%04d", 200 + $0))" }
            for recipient in recipients { try await f.consent(recipient) }
            #expect(try await f.send(recipients, report: false).allSatisfy(\.successful))
            await f.deliver()
            #expect(try await f.sandboxCount() == 5, "a burst of five seconds' worth, then the pace")
            f.clock.advance(by: .seconds(3))
            await f.deliver()
            #expect(try await f.sandboxCount() == 8)
            f.clock.advance(by: .seconds(10))
            await f.deliver()
            #expect(try await f.sandboxCount() == 12)
            // Put off, not attempted: no attempt was counted for the rows that waited.
            let attempts = try await f.resource.store.read { db in
                try await db.select().column("attempts").from("outbox").where("kind", .equal, SMSService.submitKind)
                    .all(decodingColumn: "attempts", as: Int.self)
            }
            #expect(attempts.allSatisfy { $0 == 1 })
        }
        try await withSMS(engine: engine, pacing: SMSPacing(perMinute: [.tollFree: 1])) { f in
            let recipients = (0..<11).map { "+1425555\(String(format: "%04d", 300 + $0))" }
            do {
                _ = try await f.send(recipients, report: false)
                Issue.record("eleven queued beyond ten minutes of a one-a-minute pace were accepted")
            } catch let error as APIError {
                #expect(error.status == .tooManyRequests && Int(error.headers["Retry-After"] ?? "") ?? 0 >= 1)
            }
            #expect(try await f.send(Array(recipients.prefix(10)), report: false).count == 10)
        }
    }
}

extension SMSTests {
    @Test(arguments: TestEngine.available)
    func aReceiptFindsItsMessageWhetherTheSMSCWritesTheIdInHexOrInDecimal(engine: TestEngine) async throws {
        try await withSMS(engine: engine) { f in
            try await f.consent("+14255550141")
            let sent = try await f.send(["+14255550141", "+14255550141"], report: false)
            let first = try #require(sent[0].messageId)
            let second = try #require(sent[1].messageId)
            // The SMSC answered submit_sm with zero-padded hex ids; its receipts say the same numbers in decimal.
            try await f.sms.submitted([(first, ["0000001F"]), (second, ["0000A1B2"])], carrier: "acme", in: f.resource)
            let found = try await f.sms.receipts([
                SMSReceipt(carrier: "acme", carrierMessageID: "31", status: .delivered, details: nil, at: f.clock.now),
                SMSReceipt(carrier: "acme", carrierMessageID: "41394", status: .failed, details: "UNDELIV", at: f.clock.now),
                SMSReceipt(carrier: "acme", carrierMessageID: "32", status: .delivered, details: nil, at: f.clock.now),
                SMSReceipt(carrier: "other", carrierMessageID: "31", status: .delivered, details: nil, at: f.clock.now),
            ])
            #expect(found == [true, true, false, false])
            #expect(try await f.message(first).status == .delivered)
            #expect(try await f.message(second).status == .failed)
        }
    }
}

extension SMSTests.Fixture {
    func sandboxCount() async throws -> Int {
        try await sms.sandboxMessages(handset: nil, limit: 100, in: resource).count
    }

    func sweep() async throws {
        _ = try await SMSCapability.eventsRule.sweep(resource.store, clock.now.adding(seconds: 1))
    }
}
