import NIOCore

/// The ESME side of one SMPP connection. Lives on the channel's event loop and owns all session
/// state, so no locks are needed: requests, window, timers and deliveries are serialized there.
final class SMPPClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = PDU

    private enum State {
        case open
        case unbinding
        case closed
    }

    private struct InFlight {
        var requestID: SMPPCommandID
        var promise: EventLoopPromise<PDU>
        var windowed: Bool
        var timeout: Scheduled<Void>?
    }

    private struct Queued {
        var ticket: UInt64
        var body: PDUBody
        var promise: EventLoopPromise<PDU>
    }

    private let windowSize: Int
    private let responseTimeout: TimeAmount
    private let unbindTimeout: TimeAmount
    private let deliveries: AsyncStream<SMPPDelivery>.Continuation
    private var context: ChannelHandlerContext?
    private var state = State.open
    private var inFlight: [UInt32: InFlight] = [:]
    private var windowedCount = 0
    private var queue = CircularBuffer<Queued>()
    private var sequence = SequenceNumberGenerator()
    private var keepAliveInterval: TimeAmount?
    private var keepAliveTask: Scheduled<Void>?
    private var keepAliveOutstanding = false
    private var closeReason = SMPPClientError.connectionClosed

    init(configuration: SMPPClientConfiguration, deliveries: AsyncStream<SMPPDelivery>.Continuation) {
        self.windowSize = max(1, configuration.windowSize)
        self.responseTimeout = TimeAmount(clamping: configuration.responseTimeout)
        self.unbindTimeout = TimeAmount(clamping: configuration.unbindTimeout)
        self.deliveries = deliveries
    }

    /// Requests sent and not yet answered, for observability and tests.
    var outstandingCount: Int { inFlight.count }
    var queuedCount: Int { queue.count }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        shutDown()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        shutDown()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Framing errors leave the stream unsynchronised; I/O errors leave it unusable.
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let pdu: PDU
        do {
            pdu = try PDUCodec.decode(frame: frame)
        } catch {
            handleUndecodable(frame: frame, error: error, context: context)
            return
        }
        if pdu.commandID.isResponse {
            complete(with: pdu)
        } else {
            handleRequest(pdu, context: context)
        }
    }

    // MARK: Requests from the client API

    /// Sends `body` now, or queues it until the window has room when `windowed`.
    /// `timeout` overrides the response timeout (the bind has its own).
    func enqueue(_ body: PDUBody, windowed: Bool, timeout: TimeAmount? = nil, ticket: UInt64, promise: EventLoopPromise<PDU>) {
        guard state == .open, context != nil else {
            promise.fail(state == .unbinding ? SMPPClientError.closing : closeReason)
            return
        }
        guard windowed else {
            send(body, windowed: false, timeout: timeout ?? responseTimeout, promise: promise)
            return
        }
        queue.append(Queued(ticket: ticket, body: body, promise: promise))
        pump()
    }

    /// Abandons a request that is still waiting for window room (its caller was cancelled).
    func cancelQueued(ticket: UInt64) {
        guard let index = queue.firstIndex(where: { $0.ticket == ticket }) else { return }
        let entry = queue.remove(at: index)
        entry.promise.fail(CancellationError())
    }

    func startKeepAlive(interval: TimeAmount) {
        keepAliveInterval = interval
        scheduleKeepAlive()
    }

    /// Sends unbind, waits for unbind_resp (or the unbind timeout), then closes the socket.
    func unbind() {
        guard state == .open, let context else { return }
        state = .unbinding
        failQueued(with: .closing)
        keepAliveTask?.cancel()
        let promise = context.eventLoop.makePromise(of: PDU.self)
        send(.unbind, windowed: false, timeout: unbindTimeout, promise: promise)
        promise.futureResult.assumeIsolated().whenComplete { [weak self] _ in
            self?.context?.close(promise: nil)
        }
    }

    /// Writes deliver_sm_resp for an inbound deliver_sm; a no-op once the connection is gone.
    func acknowledgeDelivery(sequenceNumber: UInt32, status: SMPPCommandStatus) {
        guard state != .closed, let context else { return }
        let response = PDU(body: .deliverSMResponse(DeliverSMResponse()), sequenceNumber: sequenceNumber, commandStatus: status)
        context.writeAndFlush(wrapOutboundOut(response), promise: nil)
    }

    // MARK: Internals

    private func pump() {
        while state == .open, windowedCount < windowSize, let next = queue.popFirst() {
            send(next.body, windowed: true, timeout: responseTimeout, promise: next.promise)
        }
    }

    private func send(_ body: PDUBody, windowed: Bool, timeout: TimeAmount, promise: EventLoopPromise<PDU>) {
        guard let context else {
            promise.fail(closeReason)
            return
        }
        let sequenceNumber = sequence.take()
        let pdu = PDU(body: body, sequenceNumber: sequenceNumber)
        do {
            try PDUCodec.validate(pdu)
        } catch {
            promise.fail(SMPPClientError.invalidPDU(error))
            return
        }
        let requestID = pdu.commandID
        let scheduled = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] () -> Void in
            guard let self else { return }
            self.fail(sequenceNumber: sequenceNumber, with: .responseTimeout(requestID))
        }
        inFlight[sequenceNumber] = InFlight(requestID: requestID, promise: promise, windowed: windowed, timeout: scheduled)
        if windowed { windowedCount += 1 }
        context.writeAndFlush(wrapOutboundOut(pdu)).assumeIsolated().whenFailure { [weak self] _ in
            self?.fail(sequenceNumber: sequenceNumber, with: .connectionClosed)
        }
    }

    private func complete(with response: PDU) {
        guard let entry = removeInFlight(response.sequenceNumber) else {
            return  // late answer to a request that already timed out, or a stray response
        }
        if response.commandID == .genericNack || response.commandID == entry.requestID.responseID {
            entry.promise.succeed(response)
        } else {
            entry.promise.fail(SMPPClientError.unexpectedResponse(response.commandID))
        }
        pump()
    }

    private func fail(sequenceNumber: UInt32, with error: SMPPClientError) {
        guard let entry = removeInFlight(sequenceNumber) else { return }
        entry.promise.fail(error)
        pump()
    }

    private func removeInFlight(_ sequenceNumber: UInt32) -> InFlight? {
        guard let entry = inFlight.removeValue(forKey: sequenceNumber) else { return nil }
        entry.timeout?.cancel()
        if entry.windowed { windowedCount -= 1 }
        return entry
    }

    private func handleRequest(_ pdu: PDU, context: ChannelHandlerContext) {
        switch pdu.body {
        case .enquireLink:
            write(PDU(body: .enquireLinkResponse, sequenceNumber: pdu.sequenceNumber), context: context)
        case .deliverSM(let message):
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            let acknowledger = DeliveryAcknowledger { sequenceNumber, status in
                bound.eventLoop.execute {
                    bound.value.acknowledgeDelivery(sequenceNumber: sequenceNumber, status: status)
                }
            }
            let delivery = SMPPDelivery(pdu: message, sequenceNumber: pdu.sequenceNumber, acknowledger: acknowledger)
            if case .terminated = deliveries.yield(delivery) {
                // Nobody listens any more: ask the SMSC to retry later rather than lose it.
                acknowledger.acknowledge(sequenceNumber: pdu.sequenceNumber, status: .receiverTemporaryAppError)
            }
        case .unbind:
            state = .unbinding
            failQueued(with: .connectionClosed)
            let response = PDU(body: .unbindResponse, sequenceNumber: pdu.sequenceNumber)
            context.writeAndFlush(wrapOutboundOut(response)).assumeIsolated().whenComplete { [weak self] _ in
                self?.context?.close(promise: nil)
            }
        default:
            write(PDU(body: .genericNack, sequenceNumber: pdu.sequenceNumber, commandStatus: .invalidCommandID), context: context)
        }
    }

    private func handleUndecodable(frame: ByteBuffer, error: SMPPDecodingError, context: ChannelHandlerContext) {
        guard let header = PDUCodec.peekHeader(frame) else { return }
        if header.commandID.isResponse {
            guard let entry = removeInFlight(header.sequenceNumber) else { return }
            entry.promise.fail(SMPPClientError.malformedResponse(error))
            pump()
        } else {
            let nack = PDU(body: .genericNack, sequenceNumber: header.sequenceNumber, commandStatus: error.commandStatus)
            write(nack, context: context)
        }
    }

    private func write(_ pdu: PDU, context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(pdu), promise: nil)
    }

    private func scheduleKeepAlive() {
        guard let interval = keepAliveInterval, state == .open, let context else { return }
        keepAliveTask = context.eventLoop.assumeIsolated().scheduleTask(in: interval) { [weak self] () -> Void in
            guard let self else { return }
            self.sendKeepAlive()
        }
    }

    private func sendKeepAlive() {
        guard state == .open, let context else { return }
        defer { scheduleKeepAlive() }
        guard !keepAliveOutstanding else { return }
        keepAliveOutstanding = true
        let promise = context.eventLoop.makePromise(of: PDU.self)
        send(.enquireLink, windowed: false, timeout: responseTimeout, promise: promise)
        promise.futureResult.assumeIsolated().whenComplete { [weak self] result in
            guard let self else { return }
            self.keepAliveOutstanding = false
            if case .failure(let error) = result, error as? SMPPClientError != .connectionClosed {
                self.closeReason = .keepAliveFailed
                self.context?.close(promise: nil)
            }
        }
    }

    private func failQueued(with error: SMPPClientError) {
        while let entry = queue.popFirst() {
            entry.promise.fail(error)
        }
    }

    private func shutDown() {
        state = .closed
        keepAliveTask?.cancel()
        keepAliveTask = nil
        failQueued(with: closeReason)
        let entries = inFlight
        inFlight.removeAll()
        windowedCount = 0
        for entry in entries.values {
            entry.timeout?.cancel()
            entry.promise.fail(closeReason)
        }
        deliveries.finish()
    }
}
