import NIOCore
import NIOPosix
import Synchronization

/// An SMPP v3.4 SMSC on a loopback port, for the product's tests and its sandbox.
///
/// It checks credentials (ESME_RINVSYSID / ESME_RINVPASWD), refuses submits before bind or on a
/// receiver bind (ESME_RINVBNDSTS), answers submit_sm/data_sm with message ids, reassembles
/// concatenated messages, sends Appendix B delivery receipts (with receipted_message_id and
/// message_state TLVs) when registered_delivery asks, and stores deliver_sm until the ESME
/// acknowledges them with ESME_ROK — redelivering after transient errors and reconnects, as
/// real SMSCs do. Knobs let tests throttle, fail destinations, hold responses and drop links.
public final class SMSCSimulator: Sendable {
    /// The address listened on (loopback unless configured otherwise).
    public let host: String
    /// The port actually listened on (useful with an ephemeral `port: 0`).
    public let port: Int

    private let core: SMSCSimulatorCore
    private let serverChannel: any Channel

    private init(core: SMSCSimulatorCore, serverChannel: any Channel, host: String, port: Int) {
        self.core = core
        self.serverChannel = serverChannel
        self.host = host
        self.port = port
    }

    /// Starts listening. Call `shutdown()` when done.
    public static func start(
        configuration: SMSCSimulatorConfiguration = SMSCSimulatorConfiguration(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SMSCSimulator {
        let core = SMSCSimulatorCore(configuration: configuration, group: eventLoopGroup)
        let maximumFrameLength = configuration.maximumFrameLength
        let channel = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(SMPPFrameDecoder(maximumFrameLength: maximumFrameLength)))
                    try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(SMPPPDUEncoder()))
                    try channel.pipeline.syncOperations.addHandler(SMSCSessionHandler(core: core))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        let port = channel.localAddress?.port ?? configuration.port
        return SMSCSimulator(core: core, serverChannel: channel, host: configuration.host, port: port)
    }

    /// Stops listening and closes every session, returning once they are closed.
    public func shutdown() async {
        try? await serverChannel.close()
        for session in core.sessionsSnapshot() {
            try? await session.channel.close()
        }
    }

    /// A client configuration pointing at this simulator.
    public func clientConfiguration(systemID: String = "test", password: String = "secret") -> SMPPClientConfiguration {
        SMPPClientConfiguration(host: host, port: port, systemID: systemID, password: password)
    }

    // MARK: Behaviour controls

    /// Answers the next `count` submits with `status` (ESME_RTHROTTLED by default).
    public func throttleNextSubmits(_ count: Int, status: SMPPCommandStatus = .throttled) {
        core.state.withLock { state in
            state.throttleRemaining = count
            state.throttleStatus = status
        }
    }

    /// Refuses every submit to `destination` (address digits as sent) with `status`.
    public func failSubmits(to destination: String, status: SMPPCommandStatus = .invalidDestinationAddress) {
        core.state.withLock { $0.submitFailures[destination] = status }
    }

    /// Makes messages to `destination` end in `state` (reported in receipts) instead of DELIVRD.
    public func setDeliveryOutcome(for destination: String, state: MessageState, errorCode: String = "001") {
        core.state.withLock { $0.outcomes[destination] = (state, errorCode) }
    }

    /// Delays every later submit response by `delay`.
    public func setResponseDelay(_ delay: Duration) {
        core.state.withLock { $0.responseDelay = delay }
    }

    /// Withholds submit responses until `releaseResponses()`: lets tests fill the client's window.
    public func holdResponses() {
        core.state.withLock { $0.holding = true }
    }

    /// Sends every withheld response (and the receipts they trigger) and stops withholding.
    public func releaseResponses() {
        core.release()
    }

    /// Closes every ESME connection abruptly, without unbind, as a network failure would.
    public func dropConnections() {
        for session in core.sessionsSnapshot() {
            let handler = session.handler
            handler.eventLoop.execute { handler.value.close() }
        }
    }

    /// Queues a mobile-originated message from handset `from` to the ESME address `to`, segmented
    /// with a UDH like a phone would when it is long, and delivers it to a bound receiver or
    /// transceiver of `systemID` (queued until one binds).
    ///
    /// - Parameter systemID: which ESME gets it; may be omitted when only one system_id is
    ///   configured or exactly one is bound.
    public func sendMO(from: String, to: String, text: String, systemID: String? = nil) throws {
        let target = try recipient(systemID)
        let template = DeliverSM(source: .international(from), destination: .international(to))
        let reference = UInt16.random(in: 0...UInt16.max)
        let parts: [DeliverSM]
        do {
            parts = try MessageSegmentation.submitSMs(text: text, template: template, reference: reference)
        } catch {
            throw SMSCSimulatorError.segmentation(error)
        }
        for part in parts {
            core.enqueue(core.makeDelivery(part, systemID: target, isReceipt: false))
        }
    }

    /// Queues an arbitrary deliver_sm (for example a hand-made receipt) for `systemID`.
    public func sendDeliverSM(_ pdu: DeliverSM, systemID: String? = nil) throws {
        let target = try recipient(systemID)
        core.enqueue(core.makeDelivery(pdu, systemID: target, isReceipt: pdu.esmClass.isDeliveryReceipt))
    }

    private func recipient(_ systemID: String?) throws -> String {
        if let systemID { return systemID }
        if core.configuration.credentials.count == 1, let only = core.configuration.credentials.keys.first {
            return only
        }
        let bound = Set(boundSessions.filter { $0.mode.canReceive }.map(\.systemID))
        guard bound.count == 1, let only = bound.first else { throw SMSCSimulatorError.ambiguousRecipient }
        return only
    }

    // MARK: Observations

    /// Accepted messages, reassembled, in completion order.
    public var receivedMessages: [SMSCReceivedMessage] {
        core.state.withLock { $0.messages }
    }

    /// Every submit_sm (and data_sm) received, with the status it was answered with.
    public var receivedSubmits: [SMSCSubmitRecord] {
        core.state.withLock { $0.submits }
    }

    /// Sessions that completed a bind, in connection order.
    public var boundSessions: [SMSCBoundSession] {
        core.state.withLock { state in
            state.sessions.values.sorted { $0.id < $1.id }.compactMap { session in
                guard let systemID = session.systemID, let mode = session.mode else { return nil }
                return SMSCBoundSession(systemID: systemID, mode: mode)
            }
        }
    }

    /// Open connections, bound or not.
    public var connectionCount: Int {
        core.state.withLock { $0.sessions.count }
    }

    /// deliver_sm_resp received so far, in arrival order.
    public var deliveryAcknowledgements: [SMSCDeliveryAcknowledgement] {
        core.state.withLock { $0.acknowledgements }
    }

    /// deliver_sm queued or sent but not yet acknowledged.
    public var unacknowledgedDeliveryCount: Int {
        core.state.withLock { state in state.inFlight.count + state.queued.values.reduce(0) { $0 + $1.count } }
    }

    /// Submit responses currently withheld by `holdResponses()`.
    public var heldResponseCount: Int {
        core.state.withLock { $0.held.count }
    }

    /// enquire_link requests received from ESMEs (their keep-alives).
    public var enquireLinksReceived: Int {
        core.state.withLock { $0.enquireLinksReceived }
    }

    /// enquire_link_resp received for the simulator's own keep-alives.
    public var enquireLinkResponsesReceived: Int {
        core.state.withLock { $0.enquireLinkResponses }
    }

    /// Polls `condition` every 2 ms until it holds; throws `SMSCSimulatorTimeout` after `timeout`.
    /// Lets tests await an effect instead of sleeping for a guessed duration.
    public func waitUntil(
        _ description: String = "condition",
        timeout: Duration = .seconds(30),
        _ condition: @Sendable (SMSCSimulator) -> Bool
    ) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while !condition(self) {
            guard clock.now < deadline else { throw SMSCSimulatorTimeout(description: description) }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}
