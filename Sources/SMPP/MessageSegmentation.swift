/// How a text longer than one SMS travels over SMPP.
public enum ConcatenationMethod: String, Hashable, Sendable {
    /// Several submit_sm, each starting with a `05 00 03 ref total seq` UDH and esm_class UDHI.
    /// The most widely supported choice, and what handsets themselves send.
    case udh
    /// Several submit_sm carrying sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs;
    /// the SMSC builds the UDH itself.
    case sar
    /// One submit_sm with sm_length 0 and the whole text in the message_payload TLV; the SMSC
    /// splits it. Fewer round trips, but not every SMSC accepts it.
    case messagePayload
}

/// Why a text cannot be turned into submit_sm PDUs.
public enum SegmentationError: Error, Hashable, Sendable {
    /// More than 255 parts: the concatenation header cannot number them.
    case tooManySegments(Int)
    /// The text does not fit a single message_payload TLV (65535 octets).
    case payloadTooLong(Int)
}

/// Splitting texts into SMS parts and building the submit_sm PDUs that carry them.
public enum MessageSegmentation {
    /// The encoded parts of a text (user data only, no UDH) and its total length in units.
    struct Chunks {
        var parts: [[UInt8]]
        var units: Int
    }

    /// Splits `text` into user-data chunks. A GSM escape sequence and a UTF-16 surrogate pair are
    /// indivisible, so a part may hold one unit less than its capacity.
    static func chunks(_ text: String, encoding: SMSTextEncoding) -> Chunks {
        var pieces: [(bytes: [UInt8], units: Int)] = []
        var total = 0
        for scalar in text.unicodeScalars {
            let bytes: [UInt8]
            let units: Int
            switch encoding {
            case .gsm7:
                bytes = GSM7.septets(for: scalar) ?? [0x3F]
                units = bytes.count
            case .ucs2:
                var encoded: [UInt8] = []
                for unit in String(scalar).utf16 {
                    encoded.append(UInt8(unit >> 8))
                    encoded.append(UInt8(unit & 0xFF))
                }
                bytes = encoded
                units = encoded.count / 2
            }
            pieces.append((bytes, units))
            total += units
        }
        guard total > encoding.singleSegmentCapacity else {
            return Chunks(parts: [pieces.flatMap(\.bytes)], units: total)
        }
        var parts: [[UInt8]] = []
        var current: [UInt8] = []
        var currentUnits = 0
        for piece in pieces {
            if currentUnits + piece.units > encoding.multipartSegmentCapacity {
                parts.append(current)
                current = []
                currentUnits = 0
            }
            current.append(contentsOf: piece.bytes)
            currentUnits += piece.units
        }
        if !current.isEmpty { parts.append(current) }
        return Chunks(parts: parts, units: total)
    }

    /// The submit_sm PDUs that carry `text`, built from `template` (addresses, registered_delivery,
    /// …). The encoding is chosen by `SMSEncoding.encoding(for:)`; `reference` identifies the
    /// parts of one message (its low 8 bits for `.udh`, all 16 for `.sar`) and should differ
    /// between consecutive multipart messages to the same recipient.
    public static func submitSMs(
        text: String,
        template: SubmitSM = SubmitSM(),
        method: ConcatenationMethod = .udh,
        reference: UInt16
    ) throws(SegmentationError) -> [SubmitSM] {
        let encoding = SMSEncoding.encoding(for: text)
        var base = template
        base.dataCoding = encoding.dataCoding
        base.esmClass.hasUDHI = false
        base.tlvs.removeAll { [.messagePayload, .sarMessageReference, .sarTotalSegments, .sarSegmentSequence].contains($0.tag) }

        if method == .messagePayload {
            let payload = SMSText.encode(text, as: encoding)
            guard payload.count <= Int(UInt16.max) else { throw .payloadTooLong(payload.count) }
            base.shortMessage = []
            base.tlvs.append(.messagePayload(payload))
            return [base]
        }

        let parts = chunks(text, encoding: encoding).parts
        if parts.count <= 1 {
            base.shortMessage = parts.first ?? []
            return [base]
        }
        guard parts.count <= 255 else { throw .tooManySegments(parts.count) }
        let total = UInt8(parts.count)
        return parts.enumerated().map { index, userData in
            var part = base
            let sequence = UInt8(index + 1)
            switch method {
            case .udh, .messagePayload:
                let header = UserDataHeader.concatenation8Bit(
                    reference: UInt8(truncatingIfNeeded: reference), total: total, sequence: sequence)
                part.esmClass.hasUDHI = true
                part.shortMessage = header.encoded + userData
            case .sar:
                part.shortMessage = userData
                part.tlvs.append(.sarMessageReference(reference))
                part.tlvs.append(.sarTotalSegments(total))
                part.tlvs.append(.sarSegmentSequence(sequence))
            }
            return part
        }
    }
}

/// A text reassembled from one or more short-message PDUs.
public struct AssembledMessage: Hashable, Sendable {
    public var source: SMPPAddress
    public var destination: SMPPAddress
    public var dataCoding: DataCoding
    public var text: String
    /// The PDUs in part order (one element for an unsegmented message).
    public var parts: [ShortMessagePDU]
}

/// Collects the parts of concatenated messages (UDH IEI 0x00/0x08 or SAR TLVs) until complete.
///
/// A value type without locking: the simulator keeps one per connection, and the product can
/// keep one per inbound session for mobile-originated messages.
public struct ConcatenatedMessageAssembler: Sendable {
    struct Key: Hashable, Sendable {
        var source: String
        var destination: String
        var reference: UInt16
        var total: UInt8
    }

    private var pending: [Key: [UInt8: ShortMessagePDU]] = [:]

    public init() {}

    /// Number of multipart messages still missing parts.
    public var incompleteCount: Int { pending.count }

    /// Adds one PDU; returns the whole message once every part has arrived (immediately for an
    /// unsegmented one). A repeated part replaces the earlier copy, so redeliveries are harmless.
    public mutating func add(_ message: ShortMessagePDU) -> AssembledMessage? {
        guard let info = Self.concatenation(of: message), info.total > 1,
            info.sequence >= 1, info.sequence <= info.total
        else {
            return AssembledMessage(
                source: message.source, destination: message.destination, dataCoding: message.dataCoding,
                text: message.text, parts: [message])
        }
        let key = Key(
            source: message.source.address, destination: message.destination.address,
            reference: info.reference, total: info.total)
        var parts = pending[key] ?? [:]
        parts[info.sequence] = message
        guard parts.count == Int(info.total) else {
            pending[key] = parts
            return nil
        }
        pending[key] = nil
        let ordered = (1...info.total).compactMap { parts[$0] }
        var userData: [UInt8] = []
        for part in ordered { userData.append(contentsOf: part.userData.body) }
        let first = ordered[0]
        return AssembledMessage(
            source: first.source, destination: first.destination, dataCoding: first.dataCoding,
            text: SMSText.decode(userData, dataCoding: first.dataCoding), parts: ordered)
    }

    static func concatenation(of message: ShortMessagePDU) -> UserDataHeader.Concatenation? {
        if let header = message.userData.header, let info = header.concatenation {
            return info
        }
        if let reference = message.tlvs.sarMessageReference, let total = message.tlvs.sarTotalSegments,
            let sequence = message.tlvs.sarSegmentSequence
        {
            return UserDataHeader.Concatenation(reference: reference, total: total, sequence: sequence)
        }
        return nil
    }
}
