import NIOCore
import NIOPosix
import Synchronization

/// An ESME session with an SMSC: connect, bind, submit with a bounded window, receive
/// deliver_sm, keep the link alive, unbind.
///
/// All session state lives on the connection's event loop (see `SMPPClientHandler`); this type is
/// the `Sendable` async façade over it, safe to share between tasks. One instance is one
/// connection: when it closes (see `waitUntilClosed()`), the product creates a new client to
/// reconnect — SMSCs redeliver unacknowledged receipts and MO messages after the next bind.
public final class SMPPClient: Sendable {
    /// Inbound deliver_sm (delivery receipts and mobile-originated messages), in arrival order.
    /// Each must be acknowledged (see `SMPPDelivery.acknowledge`, or use `processDeliveries`).
    /// Iterate it from one task only; the stream finishes when the connection closes.
    public let deliveries: AsyncStream<SMPPDelivery>
    /// The SMSC's bind response (its system_id and sc_interface_version, when sent).
    public let bindResponse: BindResponse
    /// The configuration the session was bound with (window, timeouts, bind mode).
    public let configuration: SMPPClientConfiguration

    private let channel: any Channel
    private let handler: NIOLoopBound<SMPPClientHandler>
    private let tickets = Atomic<UInt64>(0)
    private let concatenationReference: Atomic<UInt16>

    private init(
        channel: any Channel,
        handler: NIOLoopBound<SMPPClientHandler>,
        deliveries: AsyncStream<SMPPDelivery>,
        bindResponse: BindResponse,
        configuration: SMPPClientConfiguration
    ) {
        self.channel = channel
        self.handler = handler
        self.deliveries = deliveries
        self.bindResponse = bindResponse
        self.configuration = configuration
        self.concatenationReference = Atomic(UInt16.random(in: 0...UInt16.max))
    }

    /// Opens a TCP connection to `configuration.host:port` and binds.
    ///
    /// - Throws: `SMPPClientError.bindFailed` with the SMSC's status when credentials are refused,
    ///   `SMPPClientError.responseTimeout` when the SMSC does not answer within `bindTimeout`, or
    ///   the connect error.
    public static func connect(
        configuration: SMPPClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SMPPClient {
        let channel = try await ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(TimeAmount(clamping: configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: configuration.host, port: configuration.port)
            .get()
        return try await bind(channel: channel, configuration: configuration)
    }

    /// Binds over a channel the caller has already connected (for example one with a TLS handler
    /// in its pipeline, or an in-memory test channel whose event loop controls time). The SMPP
    /// handlers are appended to the channel's pipeline; `host`/`port` of the configuration are
    /// not used.
    public static func bind(channel: any Channel, configuration: SMPPClientConfiguration) async throws -> SMPPClient {
        let (deliveries, continuation) = AsyncStream.makeStream(of: SMPPDelivery.self)
        let handler: NIOLoopBound<SMPPClientHandler>
        do {
            handler = try await channel.eventLoop.submit {
                let handler = SMPPClientHandler(configuration: configuration, deliveries: continuation)
                try channel.pipeline.syncOperations.addHandler(
                    ByteToMessageHandler(SMPPFrameDecoder(maximumFrameLength: configuration.maximumFrameLength)))
                try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(SMPPPDUEncoder()))
                try channel.pipeline.syncOperations.addHandler(handler)
                return NIOLoopBound(handler, eventLoop: channel.eventLoop)
            }.get()
        } catch {
            try? await channel.close()
            throw error
        }
        let response: PDU
        do {
            response = try await request(
                .bind(configuration.bindRequest), windowed: false, timeout: TimeAmount(clamping: configuration.bindTimeout),
                handler: handler, ticket: 0)
        } catch {
            try? await channel.close()
            throw error
        }
        guard case .bindResponse(let bindResponse) = response.body, response.commandStatus == .ok else {
            try? await channel.close()
            throw response.commandID == .genericNack && response.commandStatus == .ok
                ? SMPPClientError.bindFailed(.bindFailed)
                : SMPPClientError.bindFailed(response.commandStatus)
        }
        if let interval = configuration.enquireLinkInterval {
            let amount = TimeAmount(clamping: interval)
            handler.eventLoop.execute { handler.value.startKeepAlive(interval: amount) }
        }
        return SMPPClient(
            channel: channel, handler: handler, deliveries: deliveries, bindResponse: bindResponse,
            configuration: configuration)
    }

    /// Whether the connection is still open.
    public var isActive: Bool { channel.isActive }

    /// Submits one short message and returns the SMSC's answer.
    ///
    /// Waits for room when `windowSize` requests are already outstanding. A non-zero
    /// command_status (throttled, invalid destination, …) is returned in the result, not thrown;
    /// check `SubmitResult.isTransient` to decide whether to retry.
    ///
    /// - Throws: `SMPPClientError` for session failures (timeout, lost connection, generic_nack,
    ///   invalid PDU); `CancellationError` if the task is cancelled while waiting for room.
    public func submit(_ pdu: SubmitSM) async throws -> SubmitResult {
        guard configuration.bindMode.canTransmit else {
            throw SMPPClientError.notAllowedByBindMode(configuration.bindMode)
        }
        let response = try await request(.submitSM(pdu), windowed: true)
        switch response.body {
        case .submitSMResponse(let body):
            return SubmitResult(
                status: response.commandStatus, messageID: body.messageID.isEmpty ? nil : body.messageID,
                sequenceNumber: response.sequenceNumber)
        case .genericNack:
            throw SMPPClientError.genericNack(response.commandStatus)
        default:
            throw SMPPClientError.unexpectedResponse(response.commandID)
        }
    }

    /// Encodes `text` (GSM 03.38 or UCS-2), splits it as `method` says and submits every part in
    /// order, stopping at the first part the SMSC refuses. Returns one result per part sent.
    public func submit(
        text: String,
        from source: SMPPAddress,
        to destination: SMPPAddress,
        registeredDelivery: RegisteredDelivery = .onSuccessOrFailure,
        method: ConcatenationMethod = .udh,
        template: SubmitSM = SubmitSM()
    ) async throws -> [SubmitResult] {
        var base = template
        base.source = source
        base.destination = destination
        base.registeredDelivery = registeredDelivery
        let reference = concatenationReference.wrappingAdd(1, ordering: .relaxed).newValue
        let parts: [SubmitSM]
        do {
            parts = try MessageSegmentation.submitSMs(text: text, template: base, method: method, reference: reference)
        } catch {
            throw SMPPClientError.segmentation(error)
        }
        var results: [SubmitResult] = []
        for part in parts {
            let result = try await submit(part)
            results.append(result)
            if !result.isSuccess { break }
        }
        return results
    }

    /// Sends a data_sm and returns the SMSC's data_sm_resp (status, message id and TLVs).
    public func dataSM(_ pdu: DataSM) async throws -> (status: SMPPCommandStatus, response: DataSMResponse) {
        let response = try await request(.dataSM(pdu), windowed: true)
        switch response.body {
        case .dataSMResponse(let body):
            return (response.commandStatus, body)
        case .genericNack:
            throw SMPPClientError.genericNack(response.commandStatus)
        default:
            throw SMPPClientError.unexpectedResponse(response.commandID)
        }
    }

    /// Consumes `deliveries` in order, acknowledging each one when `handler` returns (ESME_ROK)
    /// or throws (ESME_RX_T_APPN, so the SMSC redelivers later). Returns when the connection
    /// closes. The alternative to acknowledging by hand; a handler may still call
    /// `acknowledge` itself to choose another status, and that first acknowledgement wins.
    /// Like any use of `deliveries`, call it from one consumer only.
    public func processDeliveries(_ handler: (SMPPDelivery) async throws -> Void) async {
        for await delivery in deliveries {
            do {
                try await handler(delivery)
                delivery.acknowledge()
            } catch {
                delivery.acknowledge(.receiverTemporaryAppError)
            }
        }
    }

    /// Sends one enquire_link and waits for the answer: a cheap liveness probe for health checks.
    public func enquireLink() async throws {
        _ = try await request(.enquireLink, windowed: false)
    }

    /// Requests that were sent and are awaiting a response (never more than `windowSize` submits).
    public func outstandingRequestCount() async -> Int {
        let handler = self.handler
        return (try? await handler.eventLoop.submit { handler.value.outstandingCount }.get()) ?? 0
    }

    /// Requests waiting for window room (internal: used by tests to sequence events).
    func queuedRequestCount() async -> Int {
        let handler = self.handler
        return (try? await handler.eventLoop.submit { handler.value.queuedCount }.get()) ?? 0
    }

    /// Unbinds (waiting up to `unbindTimeout` for unbind_resp) and closes the connection.
    /// Requests still waiting for window room fail with `SMPPClientError.closing`; requests
    /// already sent may still complete before the SMSC answers the unbind.
    public func close() async {
        let handler = self.handler
        handler.eventLoop.execute { handler.value.unbind() }
        try? await channel.closeFuture.get()
    }

    /// Returns when the connection has closed, for whatever reason.
    public func waitUntilClosed() async {
        try? await channel.closeFuture.get()
    }

    private func request(_ body: PDUBody, windowed: Bool) async throws -> PDU {
        let ticket = tickets.wrappingAdd(1, ordering: .relaxed).newValue
        return try await Self.request(body, windowed: windowed, handler: handler, ticket: ticket)
    }

    private static func request(
        _ body: PDUBody,
        windowed: Bool,
        timeout: TimeAmount? = nil,
        handler: NIOLoopBound<SMPPClientHandler>,
        ticket: UInt64
    ) async throws -> PDU {
        try Task.checkCancellation()
        let promise = handler.eventLoop.makePromise(of: PDU.self)
        return try await withTaskCancellationHandler {
            handler.eventLoop.execute {
                handler.value.enqueue(body, windowed: windowed, timeout: timeout, ticket: ticket, promise: promise)
            }
            return try await promise.futureResult.get()
        } onCancel: {
            handler.eventLoop.execute { handler.value.cancelQueued(ticket: ticket) }
        }
    }
}
