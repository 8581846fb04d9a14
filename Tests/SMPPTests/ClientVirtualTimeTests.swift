import NIOCore
import NIOEmbedded
import Testing

@testable import SMPP

/// Client session tests on an in-memory channel whose event loop is a virtual clock: timers
/// (keep-alive, response timeout) are driven with `advanceTime`, so nothing sleeps.
@Suite struct ClientVirtualTimeTests {
    static let configuration = SMPPClientConfiguration(
        host: "unused", port: 0, systemID: "test", password: "secret", windowSize: 2,
        responseTimeout: .seconds(10), enquireLinkInterval: .seconds(30))

    /// Binds a client over a fresh testing channel, playing the SMSC's part of the handshake.
    static func boundClient() async throws -> (SMPPClient, NIOAsyncTestingChannel) {
        let channel = NIOAsyncTestingChannel()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2775)).get()
        async let client = SMPPClient.bind(channel: channel, configuration: configuration)
        let bind = try await nextPDU(channel)
        #expect(bind.body == .bind(configuration.bindRequest))
        try await reply(channel, PDU(body: .bindResponse(BindResponse(mode: .transceiver, systemID: "VIRT")), sequenceNumber: bind.sequenceNumber))
        return (try await client, channel)
    }

    static func nextPDU(_ channel: NIOAsyncTestingChannel) async throws -> PDU {
        try PDUCodec.decode(frame: try await channel.waitForOutboundWrite(as: ByteBuffer.self))
    }

    static func reply(_ channel: NIOAsyncTestingChannel, _ pdu: PDU) async throws {
        try await channel.writeInbound(ByteBuffer(bytes: try PDUCodec.encode(pdu)))
    }

    @Test func keepAliveSendsEnquireLinkAndClosesWhenUnanswered() async throws {
        let (client, channel) = try await Self.boundClient()
        await channel.testingEventLoop.advanceTime(by: .seconds(30))
        let first = try await Self.nextPDU(channel)
        #expect(first.body == .enquireLink)
        try await Self.reply(channel, PDU(body: .enquireLinkResponse, sequenceNumber: first.sequenceNumber))

        await channel.testingEventLoop.advanceTime(by: .seconds(30))
        let second = try await Self.nextPDU(channel)
        #expect(second.body == .enquireLink)
        #expect(channel.isActive)
        // No answer: after the response timeout the link is declared dead.
        await channel.testingEventLoop.advanceTime(by: .seconds(10))
        await client.waitUntilClosed()
        #expect(!client.isActive)
    }

    @Test func submitTimesOutOnTheVirtualClock() async throws {
        let (client, channel) = try await Self.boundClient()
        async let result = Result { try await client.submit(SubmitSM(destination: .international("+1"))) }
        let submit = try await Self.nextPDU(channel)
        #expect(submit.commandID == .submitSM)
        await channel.testingEventLoop.advanceTime(by: .seconds(9))
        #expect(await client.outstandingRequestCount() == 1)
        await channel.testingEventLoop.advanceTime(by: .seconds(1))
        let outcome = await result
        #expect(throws: SMPPClientError.responseTimeout(.submitSM)) { try outcome.get() }
        #expect(await client.outstandingRequestCount() == 0)
        _ = try? await channel.finish()
    }

    @Test func answersPeerEnquireLinkAndNacksUnsupportedRequests() async throws {
        let (_, channel) = try await Self.boundClient()
        try await Self.reply(channel, PDU(body: .enquireLink, sequenceNumber: 77))
        #expect(try await Self.nextPDU(channel) == PDU(body: .enquireLinkResponse, sequenceNumber: 77))
        try await channel.writeInbound(ByteBuffer(bytes: frame(commandID: 0x0000_0003, sequence: 78)))
        #expect(try await Self.nextPDU(channel) == PDU(body: .genericNack, sequenceNumber: 78, commandStatus: .invalidCommandID))
        _ = try? await channel.finish()
    }

    @Test func deliverSMIsAcknowledgedOnlyAfterTheConsumerAcks() async throws {
        let (client, channel) = try await Self.boundClient()
        let receipt = DeliverSM(
            source: .international("+2"), destination: .international("+1"), esmClass: .deliveryReceipt,
            shortMessage: Array("id:9 sub:001 dlvrd:001 stat:DELIVRD err:000 text:".utf8))
        try await Self.reply(channel, PDU(body: .deliverSM(receipt), sequenceNumber: 5))
        var iterator = client.deliveries.makeAsyncIterator()
        let delivery = try #require(await iterator.next())
        #expect(delivery.receipt?.messageID == "9")
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        delivery.acknowledge()
        delivery.acknowledge(.systemError)  // only the first acknowledgement counts
        let response = try await Self.nextPDU(channel)
        #expect(response == PDU(body: .deliverSMResponse(DeliverSMResponse()), sequenceNumber: 5))
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        _ = try? await channel.finish()
    }

    @Test func peerUnbindIsAnsweredAndCloses() async throws {
        let (client, channel) = try await Self.boundClient()
        try await Self.reply(channel, PDU(body: .unbind, sequenceNumber: 3))
        #expect(try await Self.nextPDU(channel) == PDU(body: .unbindResponse, sequenceNumber: 3))
        await client.waitUntilClosed()
        #expect(!client.isActive)
    }

    @Test func genericNackSurfacesAsError() async throws {
        let (client, channel) = try await Self.boundClient()
        async let result = Result { try await client.submit(SubmitSM(destination: .international("+1"))) }
        let submit = try await Self.nextPDU(channel)
        try await Self.reply(channel, PDU(body: .genericNack, sequenceNumber: submit.sequenceNumber, commandStatus: .systemError))
        let outcome = await result
        #expect(throws: SMPPClientError.genericNack(.systemError)) { try outcome.get() }
        _ = try? await channel.finish()
    }

    @Test func corruptFrameLengthClosesTheConnection() async throws {
        let (client, channel) = try await Self.boundClient()
        async let result = Result { try await client.submit(SubmitSM(destination: .international("+1"))) }
        _ = try await Self.nextPDU(channel)
        // The framing error is consumed by the session, which closes the link.
        try await channel.writeInbound(ByteBuffer(bytes: hex("00 00 00 01")))
        let outcome = await result
        #expect(throws: SMPPClientError.connectionClosed) { try outcome.get() }
        await client.waitUntilClosed()
    }
}
