import Foundation
import NIOCore
import Synchronization

/// A deliver_sm the simulator owes an ESME, kept until acknowledged with ESME_ROK.
struct OutboundDelivery: Sendable {
    var id: Int
    var systemID: String
    var pdu: DeliverSM
    var isReceipt: Bool
    var attempt: Int
}

/// What the session handler should do with a response it computed.
enum ResponseTiming: Sendable {
    case now
    case held
    case delayed(TimeAmount)
}

/// The simulator's shared, lock-protected state and the logic that needs it. Session handlers
/// (one per connection, each on its own event loop) call in here; writes to a session are always
/// hopped onto that session's event loop.
final class SMSCSimulatorCore: Sendable {
    struct Session {
        var id: Int
        var handler: NIOLoopBound<SMSCSessionHandler>
        var channel: any Channel
        var systemID: String?
        var mode: BindMode?
    }

    struct HeldResponse {
        var sessionID: Int
        var pdu: PDU
        var followUp: OutboundDelivery?
    }

    struct State {
        var nextSessionID = 1
        var sessions: [Int: Session] = [:]
        var nextMessageNumber: UInt64 = 1
        var nextDeliveryID = 1
        var submits: [SMSCSubmitRecord] = []
        var messages: [SMSCReceivedMessage] = []
        var assembler = ConcatenatedMessageAssembler()
        var partIDs: [PartKey: String] = [:]
        var throttleRemaining = 0
        var throttleStatus = SMPPCommandStatus.throttled
        var submitFailures: [String: SMPPCommandStatus] = [:]
        var outcomes: [String: (state: MessageState, error: String)] = [:]
        var holding = false
        var held: [HeldResponse] = []
        var responseDelay: Duration
        var queued: [String: [OutboundDelivery]] = [:]
        var inFlight: [Int: OutboundDelivery] = [:]
        var acknowledgements: [SMSCDeliveryAcknowledgement] = []
        var enquireLinksReceived = 0
        var enquireLinkResponses = 0
    }

    struct PartKey: Hashable {
        var source: String
        var destination: String
        var reference: UInt16
        var total: UInt8
        var sequence: UInt8
    }

    let configuration: SMSCSimulatorConfiguration
    let group: any EventLoopGroup
    let state: Mutex<State>

    init(configuration: SMSCSimulatorConfiguration, group: any EventLoopGroup) {
        self.configuration = configuration
        self.group = group
        self.state = Mutex(State(responseDelay: configuration.responseDelay))
    }

    // MARK: Sessions

    func register(_ handler: NIOLoopBound<SMSCSessionHandler>, channel: any Channel) -> Int {
        state.withLock { state in
            let id = state.nextSessionID
            state.nextSessionID += 1
            state.sessions[id] = Session(id: id, handler: handler, channel: channel)
            return id
        }
    }

    /// Checks credentials: ESME_RINVSYSID for an unknown system_id, ESME_RINVPASWD for a wrong
    /// password.
    func authenticate(_ request: BindRequest) -> SMPPCommandStatus {
        guard let password = configuration.credentials[request.systemID] else { return .invalidSystemID }
        return password == request.password ? .ok : .invalidPassword
    }

    func bound(sessionID: Int, systemID: String, mode: BindMode) {
        state.withLock { state in
            state.sessions[sessionID]?.systemID = systemID
            state.sessions[sessionID]?.mode = mode
        }
        dispatch(systemID: systemID)
    }

    func closed(sessionID: Int, unacknowledged: [OutboundDelivery]) {
        let systemIDs: Set<String> = state.withLock { state in
            state.sessions[sessionID] = nil
            state.held.removeAll { $0.sessionID == sessionID }
            for var delivery in unacknowledged {
                state.inFlight[delivery.id] = nil
                delivery.attempt += 1
                state.queued[delivery.systemID, default: []].append(delivery)
            }
            return Set(unacknowledged.map(\.systemID))
        }
        for systemID in systemIDs { dispatch(systemID: systemID) }
    }

    func countEnquireLink(response: Bool) {
        state.withLock { state in
            if response {
                state.enquireLinkResponses += 1
            } else {
                state.enquireLinksReceived += 1
            }
        }
    }

    func sessionsSnapshot() -> [Session] {
        state.withLock { Array($0.sessions.values) }
    }

    // MARK: Submits

    struct SubmitDecision {
        var status: SMPPCommandStatus
        var messageID: String?
        var receipt: OutboundDelivery?
        var timing: ResponseTiming
    }

    func handleSubmit(_ pdu: SubmitSM, systemID: String) -> SubmitDecision {
        state.withLock { state in
            let status = Self.status(for: pdu, state: &state)
            guard status == .ok else {
                state.submits.append(SMSCSubmitRecord(systemID: systemID, pdu: pdu, status: status, messageID: nil))
                return SubmitDecision(status: status, messageID: nil, receipt: nil, timing: timing(state))
            }
            let messageID = makeMessageID(&state)
            state.submits.append(SMSCSubmitRecord(systemID: systemID, pdu: pdu, status: .ok, messageID: messageID))
            record(pdu, messageID: messageID, systemID: systemID, state: &state)
            let outcome = state.outcomes[pdu.destination.address] ?? (.delivered, "000")
            var receipt: OutboundDelivery?
            if pdu.registeredDelivery.wantsReceipt(for: outcome.state) {
                let deliverSM = makeReceipt(for: pdu, messageID: messageID, state: outcome.state, error: outcome.error)
                receipt = OutboundDelivery(
                    id: takeDeliveryID(&state), systemID: systemID, pdu: deliverSM, isReceipt: true, attempt: 1)
            }
            return SubmitDecision(status: .ok, messageID: messageID, receipt: receipt, timing: timing(state))
        }
    }

    private static func status(for pdu: SubmitSM, state: inout State) -> SMPPCommandStatus {
        if state.throttleRemaining > 0 {
            state.throttleRemaining -= 1
            return state.throttleStatus
        }
        if pdu.destination.address.isEmpty { return .invalidDestinationAddress }
        if let failure = state.submitFailures[pdu.destination.address] { return failure }
        if !pdu.shortMessage.isEmpty && pdu.tlvs.messagePayload != nil { return .invalidMessageLength }
        return .ok
    }

    private func timing(_ state: State) -> ResponseTiming {
        if state.holding { return .held }
        if state.responseDelay > .zero { return .delayed(TimeAmount(clamping: state.responseDelay)) }
        return .now
    }

    private func record(_ pdu: SubmitSM, messageID: String, systemID: String, state: inout State) {
        if let info = ConcatenatedMessageAssembler.concatenation(of: pdu), info.total > 1 {
            let key = PartKey(
                source: pdu.source.address, destination: pdu.destination.address,
                reference: info.reference, total: info.total, sequence: info.sequence)
            state.partIDs[key] = messageID
        }
        guard let message = state.assembler.add(pdu) else { return }
        let ids: [String] = message.parts.map { part in
            guard let info = ConcatenatedMessageAssembler.concatenation(of: part), info.total > 1 else { return messageID }
            let key = PartKey(
                source: part.source.address, destination: part.destination.address,
                reference: info.reference, total: info.total, sequence: info.sequence)
            return state.partIDs.removeValue(forKey: key) ?? messageID
        }
        state.messages.append(
            SMSCReceivedMessage(
                systemID: systemID, source: message.source, destination: message.destination, text: message.text,
                dataCoding: message.dataCoding, registeredDelivery: pdu.registeredDelivery, messageIDs: ids))
    }

    private func makeMessageID(_ state: inout State) -> String {
        let number = state.nextMessageNumber
        state.nextMessageNumber += 1
        switch configuration.messageIDFormat {
        case .hex:
            let digits = String(number, radix: 16, uppercase: true)
            return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
        case .decimal:
            let digits = String(number)
            return String(repeating: "0", count: max(0, 10 - digits.count)) + digits
        }
    }

    private func takeDeliveryID(_ state: inout State) -> Int {
        let id = state.nextDeliveryID
        state.nextDeliveryID += 1
        return id
    }

    private func makeReceipt(for pdu: SubmitSM, messageID: String, state: MessageState, error: String) -> DeliverSM {
        let now = ReceiptTimestamp(date: Date())
        let receipt = DeliveryReceipt(
            messageID: messageID, state: state, submitted: 1, delivered: state == .delivered ? 1 : 0,
            submitDate: now, doneDate: now, errorCode: error, text: pdu.text)
        var tlvs: [TLV] = [.receiptedMessageID(messageID), .messageState(state)]
        if state != .delivered, let code = UInt16(error) {
            tlvs.append(.networkErrorCode(networkType: 3, errorCode: code))
        }
        return DeliverSM(
            source: pdu.destination, destination: pdu.source, esmClass: .deliveryReceipt,
            dataCoding: .smscDefault, shortMessage: SMSText.encode(receipt.formattedText, as: .gsm7), tlvs: tlvs)
    }

    // MARK: Responses

    func hold(_ response: HeldResponse) {
        state.withLock { $0.held.append(response) }
    }

    func release() {
        let held: [HeldResponse] = state.withLock { state in
            state.holding = false
            defer { state.held.removeAll() }
            return state.held
        }
        let sessions = state.withLock { $0.sessions }
        for response in held {
            guard let session = sessions[response.sessionID] else { continue }
            let handler = session.handler
            handler.eventLoop.execute {
                handler.value.writeResponse(response.pdu, followUp: response.followUp)
            }
        }
    }

    // MARK: Deliveries

    func makeDelivery(_ pdu: DeliverSM, systemID: String, isReceipt: Bool) -> OutboundDelivery {
        state.withLock { state in
            OutboundDelivery(id: takeDeliveryID(&state), systemID: systemID, pdu: pdu, isReceipt: isReceipt, attempt: 1)
        }
    }

    /// Queues a deliver_sm for `delivery.systemID`, after `delay`, and sends it to a bound
    /// receiver or transceiver of that system_id as soon as there is one (store and forward).
    func enqueue(_ delivery: OutboundDelivery, after delay: TimeAmount = .zero) {
        guard delay <= .zero else {
            group.next().scheduleTask(in: delay) { [self] in self.enqueue(delivery) }
            return
        }
        state.withLock { $0.queued[delivery.systemID, default: []].append(delivery) }
        dispatch(systemID: delivery.systemID)
    }

    func dispatch(systemID: String) {
        let work: (NIOLoopBound<SMSCSessionHandler>, [OutboundDelivery])? = state.withLock { state in
            guard let queue = state.queued[systemID], !queue.isEmpty else { return nil }
            let receivers = state.sessions.values
                .filter { $0.systemID == systemID && ($0.mode?.canReceive ?? false) }
                .sorted { $0.id < $1.id }
            guard let target = receivers.first else { return nil }
            state.queued[systemID] = nil
            for delivery in queue { state.inFlight[delivery.id] = delivery }
            return (target.handler, queue)
        }
        guard let (handler, deliveries) = work else { return }
        handler.eventLoop.execute { handler.value.send(deliveries) }
    }

    /// Deliveries a session could not send because it was already closing.
    func returned(_ deliveries: [OutboundDelivery]) {
        state.withLock { state in
            for delivery in deliveries {
                state.inFlight[delivery.id] = nil
                state.queued[delivery.systemID, default: []].append(delivery)
            }
        }
    }

    func acknowledged(_ delivery: OutboundDelivery, status: SMPPCommandStatus) {
        let retry: Bool = state.withLock { state in
            state.inFlight[delivery.id] = nil
            state.acknowledgements.append(
                SMSCDeliveryAcknowledgement(
                    deliveryID: delivery.id, systemID: delivery.systemID, isReceipt: delivery.isReceipt,
                    status: status, attempt: delivery.attempt))
            return status != .ok && status != .receiverPermanentAppError && status != .receiverRejectMessage
        }
        if retry {
            var again = delivery
            again.attempt += 1
            enqueue(again, after: TimeAmount(clamping: configuration.redeliveryDelay))
        }
    }
}
