import NIOCore
import Synchronization

/// One inbound deliver_sm — a delivery receipt or a mobile-originated message — together with
/// the means to acknowledge it.
///
/// Acknowledgement is explicit so that delivery is at-least-once: the client sends deliver_sm_resp
/// only when the consumer calls `acknowledge()`, which it should do after the receipt or message
/// is durably stored. If the process or the connection dies first, the SMSC never sees a
/// response and redelivers later (possibly after a reconnect), so consumers must tolerate
/// duplicates (for example by keying receipts on message id and state). A consumer that cannot
/// store the message now should answer `acknowledge(.receiverTemporaryAppError)` so the SMSC
/// retries; `.receiverPermanentAppError` asks it to give up. A delivery that is never
/// acknowledged ties up one slot of the SMSC's window, so always acknowledge one way or the other.
public struct SMPPDelivery: Sendable {
    /// The deliver_sm body as received.
    public let pdu: DeliverSM
    /// The SMSC's sequence number, echoed by the deliver_sm_resp that `acknowledge` sends.
    public let sequenceNumber: UInt32
    private let acknowledger: DeliveryAcknowledger

    init(pdu: DeliverSM, sequenceNumber: UInt32, acknowledger: DeliveryAcknowledger) {
        self.pdu = pdu
        self.sequenceNumber = sequenceNumber
        self.acknowledger = acknowledger
    }

    /// The delivery receipt this PDU carries, or nil for a mobile-originated message.
    public var receipt: DeliveryReceipt? {
        DeliveryReceipt(deliverSM: pdu)
    }

    /// Whether this is a delivery receipt (as opposed to a mobile-originated message).
    public var isDeliveryReceipt: Bool {
        receipt != nil
    }

    /// The decoded text of this part (UDH stripped). Concatenated MO parts arrive as separate
    /// deliveries; feed them to a `ConcatenatedMessageAssembler` to get the whole text.
    public var text: String {
        pdu.text
    }

    /// Sends deliver_sm_resp with `status`. Only the first call has an effect; after the
    /// connection is gone it does nothing (the SMSC will redeliver).
    public func acknowledge(_ status: SMPPCommandStatus = .ok) {
        acknowledger.acknowledge(sequenceNumber: sequenceNumber, status: status)
    }

    /// Whether `acknowledge` has been called.
    public var isAcknowledged: Bool {
        acknowledger.isDone
    }
}

/// Sends the deliver_sm_resp for one delivery on the connection that received it.
final class DeliveryAcknowledger: Sendable {
    private let done = Atomic<Bool>(false)
    private let send: @Sendable (UInt32, SMPPCommandStatus) -> Void

    init(send: @escaping @Sendable (UInt32, SMPPCommandStatus) -> Void) {
        self.send = send
    }

    var isDone: Bool { done.load(ordering: .acquiring) }

    func acknowledge(sequenceNumber: UInt32, status: SMPPCommandStatus) {
        guard done.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        send(sequenceNumber, status)
    }
}

/// Sequence numbers run from 1 to 0x7FFFFFFF and wrap (§5.1.4); 0 is never used.
struct SequenceNumberGenerator {
    private var next: UInt32 = 1

    mutating func take() -> UInt32 {
        let value = next
        next = next >= 0x7FFF_FFFF ? 1 : next + 1
        return value
    }
}
