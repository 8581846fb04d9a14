import NIOCore

/// The SMSC side of one connection to the simulator: bind checks, submit handling, deliver_sm
/// sending and acknowledgement tracking. Runs on the connection's event loop.
final class SMSCSessionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = PDU

    private let core: SMSCSimulatorCore
    private var context: ChannelHandlerContext?
    private var sessionID = 0
    private var systemID: String?
    private var mode: BindMode?
    private var sequence = SequenceNumberGenerator()
    private var pendingDeliveries: [UInt32: OutboundDelivery] = [:]
    private var enquireLinkTask: Scheduled<Void>?
    private var isClosed = false

    init(core: SMSCSimulatorCore) {
        self.core = core
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        sessionID = core.register(NIOLoopBound(self, eventLoop: context.eventLoop), channel: context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        tearDown()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        tearDown()
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        do {
            handle(try PDUCodec.decode(frame: frame), context: context)
        } catch {
            guard let header = PDUCodec.peekHeader(frame), !header.commandID.isResponse else { return }
            reply(.genericNack, to: header.sequenceNumber, status: error.commandStatus)
        }
    }

    // MARK: Called by the core (on this event loop)

    func send(_ deliveries: [OutboundDelivery]) {
        guard !isClosed, let context, context.channel.isActive else {
            core.returned(deliveries)
            return
        }
        for delivery in deliveries {
            let sequenceNumber = sequence.take()
            pendingDeliveries[sequenceNumber] = delivery
            context.write(wrapOutboundOut(PDU(body: .deliverSM(delivery.pdu), sequenceNumber: sequenceNumber)), promise: nil)
        }
        context.flush()
    }

    func writeResponse(_ pdu: PDU, followUp: OutboundDelivery?) {
        guard !isClosed, let context else { return }
        context.writeAndFlush(wrapOutboundOut(pdu), promise: nil)
        if let followUp {
            core.enqueue(followUp, after: TimeAmount(clamping: core.configuration.receiptDelay))
        }
    }

    func close() {
        context?.close(promise: nil)
    }

    // MARK: Requests and responses from the ESME

    private func handle(_ pdu: PDU, context: ChannelHandlerContext) {
        switch pdu.body {
        case .bind(let request):
            handleBind(request, sequenceNumber: pdu.sequenceNumber)
        case .submitSM(let message):
            handleSubmit(message, sequenceNumber: pdu.sequenceNumber, isDataSM: false)
        case .dataSM(let message):
            let converted = SubmitSM(
                serviceType: message.serviceType, source: message.source, destination: message.destination,
                esmClass: message.esmClass, registeredDelivery: message.registeredDelivery,
                dataCoding: message.dataCoding, tlvs: message.tlvs)
            handleSubmit(converted, sequenceNumber: pdu.sequenceNumber, isDataSM: true)
        case .enquireLink:
            core.countEnquireLink(response: false)
            reply(.enquireLinkResponse, to: pdu.sequenceNumber)
        case .unbind:
            reply(.unbindResponse, to: pdu.sequenceNumber)
            context.close(promise: nil)
        case .deliverSMResponse, .genericNack:
            if let delivery = pendingDeliveries.removeValue(forKey: pdu.sequenceNumber) {
                core.acknowledged(
                    delivery,
                    status: pdu.commandID == .genericNack && pdu.commandStatus == .ok
                        ? .systemError : pdu.commandStatus)
            }
        case .enquireLinkResponse:
            core.countEnquireLink(response: true)
        case .unbindResponse, .bindResponse, .submitSMResponse, .dataSMResponse:
            break
        case .deliverSM:
            reply(.genericNack, to: pdu.sequenceNumber, status: .invalidCommandID)
        }
    }

    private func handleBind(_ request: BindRequest, sequenceNumber: UInt32) {
        let responseBody = PDUBody.bindResponse(
            BindResponse(mode: request.mode, systemID: core.configuration.systemID, tlvs: [.scInterfaceVersion(0x34)]))
        guard mode == nil else {
            reply(responseBody, to: sequenceNumber, status: .alreadyBound)
            return
        }
        let status = core.authenticate(request)
        reply(responseBody, to: sequenceNumber, status: status)
        guard status == .ok else { return }
        systemID = request.systemID
        mode = request.mode
        core.bound(sessionID: sessionID, systemID: request.systemID, mode: request.mode)
        scheduleEnquireLink()
    }

    private func handleSubmit(_ message: SubmitSM, sequenceNumber: UInt32, isDataSM: Bool) {
        func responseBody(_ messageID: String) -> PDUBody {
            isDataSM
                ? .dataSMResponse(DataSMResponse(messageID: messageID))
                : .submitSMResponse(SubmitSMResponse(messageID: messageID))
        }
        guard let systemID, let mode, mode.canTransmit else {
            reply(responseBody(""), to: sequenceNumber, status: .invalidBindStatus)
            return
        }
        let decision = core.handleSubmit(message, systemID: systemID)
        let response = PDU(
            body: responseBody(decision.messageID ?? ""), sequenceNumber: sequenceNumber, commandStatus: decision.status)
        switch decision.timing {
        case .now:
            writeResponse(response, followUp: decision.receipt)
        case .held:
            core.hold(.init(sessionID: sessionID, pdu: response, followUp: decision.receipt))
        case .delayed(let delay):
            context?.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] () -> Void in
                guard let self else { return }
                self.writeResponse(response, followUp: decision.receipt)
            }
        }
    }

    private func reply(_ body: PDUBody, to sequenceNumber: UInt32, status: SMPPCommandStatus = .ok) {
        context?.writeAndFlush(wrapOutboundOut(PDU(body: body, sequenceNumber: sequenceNumber, commandStatus: status)), promise: nil)
    }

    private func scheduleEnquireLink() {
        guard let interval = core.configuration.enquireLinkInterval, let context, !isClosed else { return }
        enquireLinkTask = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(clamping: interval)) {
            [weak self] () -> Void in
            guard let self, !self.isClosed, let context = self.context else { return }
            let pdu = PDU(body: .enquireLink, sequenceNumber: self.sequence.take())
            context.writeAndFlush(self.wrapOutboundOut(pdu), promise: nil)
            self.scheduleEnquireLink()
        }
    }

    private func tearDown() {
        guard !isClosed else { return }
        isClosed = true
        enquireLinkTask?.cancel()
        let unacknowledged = Array(pendingDeliveries.values).sorted { $0.id < $1.id }
        pendingDeliveries.removeAll()
        core.closed(sessionID: sessionID, unacknowledged: unacknowledged)
    }
}
