import NIOCore

/// The four header fields of a PDU, readable without decoding the body. Sessions use it to
/// answer a PDU whose body is corrupt with the right sequence number.
public struct PDUHeader: Hashable, Sendable {
    public var commandLength: UInt32
    public var commandID: SMPPCommandID
    public var commandStatus: SMPPCommandStatus
    public var sequenceNumber: UInt32
}

/// Big-endian encoding and decoding of whole PDUs (SMPP v3.4 §3.2 and §4).
public enum PDUCodec {
    /// Maximum sizes of the C-Octet string fields, counting the NUL terminator (§4).
    enum Limit {
        static let systemID = 16
        static let password = 9
        static let systemType = 13
        static let addressRange = 41
        static let serviceType = 6
        static let address = 21
        static let dataSMAddress = 65
        static let time = 17
        static let messageID = 65
        static let shortMessage = 254
    }

    /// Reads the header at the reader index without consuming it; nil if fewer than 16 octets.
    public static func peekHeader(_ buffer: ByteBuffer) -> PDUHeader? {
        guard buffer.readableBytes >= PDU.headerLength,
            let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
            let id = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt32.self),
            let status = buffer.getInteger(at: buffer.readerIndex + 8, as: UInt32.self),
            let sequence = buffer.getInteger(at: buffer.readerIndex + 12, as: UInt32.self)
        else { return nil }
        return PDUHeader(
            commandLength: length,
            commandID: SMPPCommandID(rawValue: id),
            commandStatus: SMPPCommandStatus(rawValue: status),
            sequenceNumber: sequence
        )
    }

    /// Decodes one complete frame (header included); all of `frame`'s readable octets must belong
    /// to the PDU.
    public static func decode(frame: ByteBuffer) throws(SMPPDecodingError) -> PDU {
        guard let header = peekHeader(frame) else {
            throw .truncatedHeader(length: frame.readableBytes)
        }
        guard Int(header.commandLength) == frame.readableBytes else {
            throw .commandLengthMismatch(declared: header.commandLength, actual: frame.readableBytes)
        }
        var reader = BodyReader(buffer: frame.getSlice(at: frame.readerIndex + 16, length: frame.readableBytes - 16))
        let body = try decodeBody(header: header, reader: &reader)
        return PDU(body: body, sequenceNumber: header.sequenceNumber, commandStatus: header.commandStatus)
    }

    /// Convenience for tests and tools: decodes a frame given as octets.
    public static func decode(bytes: [UInt8]) throws(SMPPDecodingError) -> PDU {
        try decode(frame: ByteBuffer(bytes: bytes))
    }

    /// Checks every limit of the specification without producing octets, so a session can refuse
    /// a request before it reaches the pipeline.
    public static func validate(_ pdu: PDU) throws(SMPPEncodingError) {
        var scratch = ByteBuffer()
        try encodeBody(pdu.body, into: &scratch)
    }

    /// Appends the encoded PDU, with its command_length, to `buffer`.
    public static func encode(_ pdu: PDU, into buffer: inout ByteBuffer) throws(SMPPEncodingError) {
        let start = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(pdu.commandID.rawValue)
        buffer.writeInteger(pdu.commandStatus.rawValue)
        buffer.writeInteger(pdu.sequenceNumber)
        do {
            try encodeBody(pdu.body, into: &buffer)
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
        buffer.setInteger(UInt32(buffer.writerIndex - start), at: start)
    }

    /// Convenience for tests and tools: the encoded PDU as octets.
    public static func encode(_ pdu: PDU) throws(SMPPEncodingError) -> [UInt8] {
        var buffer = ByteBuffer()
        try encode(pdu, into: &buffer)
        return Array(buffer.readableBytesView)
    }
}

// MARK: - Bodies

extension PDUCodec {
    static func decodeBody(header: PDUHeader, reader: inout BodyReader) throws(SMPPDecodingError) -> PDUBody {
        let id = header.commandID
        let isError = header.commandStatus != .ok
        switch id {
        case .bindTransmitter, .bindReceiver, .bindTransceiver:
            let request = try decodeBind(mode: bindMode(id), reader: &reader)
            try reader.expectEnd(id)
            return .bind(request)
        case .bindTransmitterResp, .bindReceiverResp, .bindTransceiverResp:
            let systemID = reader.isAtEnd ? "" : try reader.cString("system_id", max: Limit.systemID)
            let tlvs = try reader.tlvs()
            return .bindResponse(BindResponse(mode: bindMode(id), systemID: systemID, tlvs: tlvs))
        case .submitSM, .deliverSM:
            let message = try decodeShortMessage(reader: &reader)
            return id == .submitSM ? .submitSM(message) : .deliverSM(message)
        case .submitSMResp:
            let messageID = try optionalMessageID(&reader, allowEmptyBody: true)
            try reader.expectEnd(id)
            return .submitSMResponse(SubmitSMResponse(messageID: messageID))
        case .deliverSMResp:
            let messageID = try optionalMessageID(&reader, allowEmptyBody: true)
            try reader.expectEnd(id)
            return .deliverSMResponse(DeliverSMResponse(messageID: messageID))
        case .dataSM:
            return .dataSM(try decodeDataSM(reader: &reader))
        case .dataSMResp:
            let messageID = try optionalMessageID(&reader, allowEmptyBody: isError)
            return .dataSMResponse(DataSMResponse(messageID: messageID, tlvs: try reader.tlvs()))
        case .unbind, .unbindResp, .enquireLink, .enquireLinkResp, .genericNack:
            try reader.expectEnd(id)
            switch id {
            case .unbind: return .unbind
            case .unbindResp: return .unbindResponse
            case .enquireLink: return .enquireLink
            case .enquireLinkResp: return .enquireLinkResponse
            default: return .genericNack
            }
        default:
            throw .unknownCommandID(id)
        }
    }

    private static func bindMode(_ id: SMPPCommandID) -> BindMode {
        switch id.rawValue & 0x7FFF_FFFF {
        case SMPPCommandID.bindReceiver.rawValue: .receiver
        case SMPPCommandID.bindTransmitter.rawValue: .transmitter
        default: .transceiver
        }
    }

    /// Responses whose only mandatory field is message_id may come without a body: the
    /// specification omits it on error, and many peers send deliver_sm_resp header-only.
    private static func optionalMessageID(
        _ reader: inout BodyReader,
        allowEmptyBody: Bool
    ) throws(SMPPDecodingError) -> String {
        if allowEmptyBody && reader.isAtEnd { return "" }
        return try reader.cString("message_id", max: Limit.messageID)
    }

    private static func decodeBind(mode: BindMode, reader: inout BodyReader) throws(SMPPDecodingError) -> BindRequest {
        BindRequest(
            mode: mode,
            systemID: try reader.cString("system_id", max: Limit.systemID),
            password: try reader.cString("password", max: Limit.password),
            systemType: try reader.cString("system_type", max: Limit.systemType),
            interfaceVersion: try reader.uint8("interface_version"),
            addressTON: TypeOfNumber(rawValue: try reader.uint8("addr_ton")),
            addressNPI: NumberingPlan(rawValue: try reader.uint8("addr_npi")),
            addressRange: try reader.cString("address_range", max: Limit.addressRange)
        )
    }

    private static func decodeShortMessage(reader: inout BodyReader) throws(SMPPDecodingError) -> ShortMessagePDU {
        var message = ShortMessagePDU()
        message.serviceType = try reader.cString("service_type", max: Limit.serviceType)
        message.source = try reader.address("source_addr", max: Limit.address)
        message.destination = try reader.address("destination_addr", max: Limit.address)
        message.esmClass = ESMClass(rawValue: try reader.uint8("esm_class"))
        message.protocolID = try reader.uint8("protocol_id")
        message.priorityFlag = try reader.uint8("priority_flag")
        message.scheduleDeliveryTime = try reader.cString("schedule_delivery_time", max: Limit.time)
        message.validityPeriod = try reader.cString("validity_period", max: Limit.time)
        message.registeredDelivery = RegisteredDelivery(rawValue: try reader.uint8("registered_delivery"))
        message.replaceIfPresentFlag = try reader.uint8("replace_if_present_flag")
        message.dataCoding = DataCoding(rawValue: try reader.uint8("data_coding"))
        message.smDefaultMessageID = try reader.uint8("sm_default_msg_id")
        let smLength = Int(try reader.uint8("sm_length"))
        guard smLength <= Limit.shortMessage else { throw .shortMessageTooLong(length: smLength) }
        guard smLength <= reader.remaining else {
            throw .smLengthExceedsBody(smLength: smLength, available: reader.remaining)
        }
        message.shortMessage = try reader.bytes("short_message", count: smLength)
        message.tlvs = try reader.tlvs()
        return message
    }

    private static func decodeDataSM(reader: inout BodyReader) throws(SMPPDecodingError) -> DataSM {
        DataSM(
            serviceType: try reader.cString("service_type", max: Limit.serviceType),
            source: try reader.address("source_addr", max: Limit.dataSMAddress),
            destination: try reader.address("destination_addr", max: Limit.dataSMAddress),
            esmClass: ESMClass(rawValue: try reader.uint8("esm_class")),
            registeredDelivery: RegisteredDelivery(rawValue: try reader.uint8("registered_delivery")),
            dataCoding: DataCoding(rawValue: try reader.uint8("data_coding")),
            tlvs: try reader.tlvs()
        )
    }

    static func encodeBody(_ body: PDUBody, into buffer: inout ByteBuffer) throws(SMPPEncodingError) {
        switch body {
        case .bind(let request):
            try buffer.writeCString(request.systemID, field: "system_id", max: Limit.systemID)
            try buffer.writeCString(request.password, field: "password", max: Limit.password)
            try buffer.writeCString(request.systemType, field: "system_type", max: Limit.systemType)
            buffer.writeInteger(request.interfaceVersion)
            buffer.writeInteger(request.addressTON.rawValue)
            buffer.writeInteger(request.addressNPI.rawValue)
            try buffer.writeCString(request.addressRange, field: "address_range", max: Limit.addressRange)
        case .bindResponse(let response):
            try buffer.writeCString(response.systemID, field: "system_id", max: Limit.systemID)
            try buffer.writeTLVs(response.tlvs)
        case .submitSM(let message), .deliverSM(let message):
            try encodeShortMessage(message, into: &buffer)
        case .submitSMResponse(let response):
            try buffer.writeCString(response.messageID, field: "message_id", max: Limit.messageID)
        case .deliverSMResponse(let response):
            try buffer.writeCString(response.messageID, field: "message_id", max: Limit.messageID)
        case .dataSM(let message):
            try buffer.writeCString(message.serviceType, field: "service_type", max: Limit.serviceType)
            try buffer.writeAddress(message.source, field: "source_addr", max: Limit.dataSMAddress)
            try buffer.writeAddress(message.destination, field: "destination_addr", max: Limit.dataSMAddress)
            buffer.writeInteger(message.esmClass.rawValue)
            buffer.writeInteger(message.registeredDelivery.rawValue)
            buffer.writeInteger(message.dataCoding.rawValue)
            try buffer.writeTLVs(message.tlvs)
        case .dataSMResponse(let response):
            try buffer.writeCString(response.messageID, field: "message_id", max: Limit.messageID)
            try buffer.writeTLVs(response.tlvs)
        case .unbind, .unbindResponse, .enquireLink, .enquireLinkResponse, .genericNack:
            break
        }
    }

    private static func encodeShortMessage(_ message: ShortMessagePDU, into buffer: inout ByteBuffer) throws(SMPPEncodingError) {
        guard message.shortMessage.count <= Limit.shortMessage else {
            throw .shortMessageTooLong(length: message.shortMessage.count)
        }
        try buffer.writeCString(message.serviceType, field: "service_type", max: Limit.serviceType)
        try buffer.writeAddress(message.source, field: "source_addr", max: Limit.address)
        try buffer.writeAddress(message.destination, field: "destination_addr", max: Limit.address)
        buffer.writeInteger(message.esmClass.rawValue)
        buffer.writeInteger(message.protocolID)
        buffer.writeInteger(message.priorityFlag)
        try buffer.writeCString(message.scheduleDeliveryTime, field: "schedule_delivery_time", max: Limit.time)
        try buffer.writeCString(message.validityPeriod, field: "validity_period", max: Limit.time)
        buffer.writeInteger(message.registeredDelivery.rawValue)
        buffer.writeInteger(message.replaceIfPresentFlag)
        buffer.writeInteger(message.dataCoding.rawValue)
        buffer.writeInteger(message.smDefaultMessageID)
        buffer.writeInteger(UInt8(message.shortMessage.count))
        buffer.writeBytes(message.shortMessage)
        try buffer.writeTLVs(message.tlvs)
    }
}
