import NIOCore
import Testing

@testable import SMPP

@Suite struct PDUCodecTests {
    @Test func enquireLinkMatchesSpecBytes() throws {
        let bytes = try PDUCodec.encode(PDU(body: .enquireLink, sequenceNumber: 1))
        #expect(bytes == hex("00 00 00 10 00 00 00 15 00 00 00 00 00 00 00 01"))
        let decoded = try PDUCodec.decode(bytes: bytes)
        #expect(decoded.body == .enquireLink)
        #expect(decoded.sequenceNumber == 1)
    }

    @Test func headerOnlyPDUsHaveExpectedCommandIDs() throws {
        let cases: [(PDUBody, String)] = [
            (.enquireLinkResponse, "80 00 00 15"), (.unbind, "00 00 00 06"), (.unbindResponse, "80 00 00 06"),
            (.genericNack, "80 00 00 00"),
        ]
        for (body, id) in cases {
            let bytes = try PDUCodec.encode(PDU(body: body, sequenceNumber: 0x0102_0304, commandStatus: .ok))
            #expect(bytes == hex("00 00 00 10") + hex(id) + hex("00 00 00 00 01 02 03 04"))
        }
    }

    @Test func bindTransceiverEncodesToExactBytes() throws {
        let request = BindRequest(
            mode: .transceiver, systemID: "SMPP3TEST", password: "secret08", systemType: "SUBMIT1",
            interfaceVersion: 0x34, addressTON: .international, addressNPI: .isdn, addressRange: "")
        let bytes = try PDUCodec.encode(PDU(body: .bind(request), sequenceNumber: 1))
        let expected = hex(
            """
            00 00 00 2F 00 00 00 09 00 00 00 00 00 00 00 01
            53 4D 50 50 33 54 45 53 54 00
            73 65 63 72 65 74 30 38 00
            53 55 42 4D 49 54 31 00
            34 01 01 00
            """)
        #expect(bytes == expected)
        #expect(try PDUCodec.decode(bytes: expected).body == .bind(request))
    }

    @Test func submitSMEncodesToExactBytes() throws {
        let submit = SubmitSM(
            source: SMPPAddress(ton: .alphanumeric, npi: .unknown, address: "Acme"),
            destination: .international("+4479"),
            registeredDelivery: .onSuccessOrFailure,
            shortMessage: Array("Hi".utf8))
        let bytes = try PDUCodec.encode(PDU(body: .submitSM(submit), sequenceNumber: 7))
        let body = hex(
            """
            00
            05 00 41 63 6D 65 00
            01 01 34 34 37 39 00
            00 00 00
            00 00
            01 00 00 00
            02 48 69
            """)
        #expect(bytes == frame(commandID: 4, sequence: 7, body: body))
    }

    @Test(arguments: PDUCodecTests.samples)
    func everyPDUTypeRoundTrips(_ pdu: PDU) throws {
        let bytes = try PDUCodec.encode(pdu)
        #expect(bytes.count == Int(UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])))
        #expect(try PDUCodec.decode(bytes: bytes) == pdu)
    }

    static let samples: [PDU] = {
        let bind = BindRequest(mode: .transmitter, systemID: "sys", password: "pw", systemType: "VMA", addressRange: "^44")
        var receiver = bind
        receiver.mode = .receiver
        var transceiver = bind
        transceiver.mode = .transceiver
        let message = SubmitSM(
            serviceType: "CMT", source: .international("+15550001"), destination: .international("+15550002"),
            esmClass: .udhi, protocolID: 0, priorityFlag: 1, scheduleDeliveryTime: "", validityPeriod: "000001000000000R",
            registeredDelivery: .onFailure, replaceIfPresentFlag: 0, dataCoding: .ucs2, smDefaultMessageID: 0,
            shortMessage: [0x05, 0x00, 0x03, 0x2A, 0x02, 0x01, 0x00, 0x41],
            tlvs: [.sourcePort(1234), .destinationPort(5678), TLV(tag: TLVTag(rawValue: 0x1401), value: [1, 2, 3])])
        let receipt = DeliverSM(
            source: .international("+15550002"), destination: .international("+15550001"), esmClass: .deliveryReceipt,
            shortMessage: Array("id:1 stat:DELIVRD".utf8),
            tlvs: [.receiptedMessageID("1"), .messageState(.delivered), .networkErrorCode(networkType: 3, errorCode: 0)])
        let payload = SubmitSM(
            destination: .international("+1"),
            tlvs: [
                .messagePayload(Array(repeating: 0x41, count: 600)), .sarMessageReference(9), .sarTotalSegments(2),
                .sarSegmentSequence(1),
            ])
        let data = DataSM(
            source: SMPPAddress(ton: .international, npi: .isdn, address: String(repeating: "1", count: 40)),
            destination: .international("+2"), registeredDelivery: .onSuccessOrFailure,
            tlvs: [.messagePayload(Array("hello".utf8))])
        return [
            PDU(body: .bind(bind), sequenceNumber: 1),
            PDU(body: .bind(receiver), sequenceNumber: 2),
            PDU(body: .bind(transceiver), sequenceNumber: 3),
            PDU(body: .bindResponse(BindResponse(mode: .transmitter, systemID: "SMSC")), sequenceNumber: 1),
            PDU(
                body: .bindResponse(BindResponse(mode: .receiver, systemID: "SMSC", tlvs: [.scInterfaceVersion(0x34)])),
                sequenceNumber: 2),
            PDU(
                body: .bindResponse(BindResponse(mode: .transceiver, systemID: "")), sequenceNumber: 3,
                commandStatus: .invalidPassword),
            PDU(body: .unbind, sequenceNumber: 4),
            PDU(body: .unbindResponse, sequenceNumber: 4),
            PDU(body: .genericNack, sequenceNumber: 5, commandStatus: .invalidCommandID),
            PDU(body: .submitSM(message), sequenceNumber: 6),
            PDU(body: .submitSM(payload), sequenceNumber: 7),
            PDU(body: .submitSMResponse(SubmitSMResponse(messageID: "ABCDEF0123")), sequenceNumber: 6),
            PDU(body: .deliverSM(receipt), sequenceNumber: 8),
            PDU(body: .deliverSMResponse(DeliverSMResponse()), sequenceNumber: 8),
            PDU(body: .enquireLink, sequenceNumber: 0x7FFF_FFFF),
            PDU(body: .enquireLinkResponse, sequenceNumber: 0x7FFF_FFFF),
            PDU(body: .dataSM(data), sequenceNumber: 9),
            PDU(
                body: .dataSMResponse(DataSMResponse(messageID: "42", tlvs: [TLV(tag: .deliveryFailureReason, value: [1])])),
                sequenceNumber: 9),
        ]
    }()

    @Test func errorResponsesWithoutBodyDecode() throws {
        let submitResp = try PDUCodec.decode(bytes: frame(commandID: 0x8000_0004, status: 0x58, sequence: 3))
        #expect(submitResp.body == .submitSMResponse(SubmitSMResponse(messageID: "")))
        #expect(submitResp.commandStatus == .throttled)
        let bindResp = try PDUCodec.decode(bytes: frame(commandID: 0x8000_0009, status: 0x0E))
        #expect(bindResp.body == .bindResponse(BindResponse(mode: .transceiver, systemID: "")))
        let deliverResp = try PDUCodec.decode(bytes: frame(commandID: 0x8000_0005))
        #expect(deliverResp.body == .deliverSMResponse(DeliverSMResponse()))
    }

    @Test func unknownTLVsArePreservedInOrder() throws {
        // 17 zero octets are a minimal deliver_sm: empty C-strings, zero integers and sm_length 0.
        let body = Array(repeating: UInt8(0), count: 17) + hex("14 01 00 02 AB CD 00 0E 00 01 07")
        let pdu = try PDUCodec.decode(bytes: frame(commandID: 5, body: body))
        guard case .deliverSM(let message) = pdu.body else {
            Issue.record("expected deliver_sm")
            return
        }
        #expect(message.tlvs == [TLV(tag: TLVTag(rawValue: 0x1401), value: [0xAB, 0xCD]), TLV(tag: TLVTag(rawValue: 0x000E), value: [7])])
        #expect(try PDUCodec.decode(bytes: PDUCodec.encode(pdu)) == pdu)
    }

    @Test func typedTLVAccessors() {
        let tlvs: [TLV] = [
            .receiptedMessageID("abc"), .messageState(.undeliverable), .networkErrorCode(networkType: 3, errorCode: 0x0102),
            .sarMessageReference(0xBEEF), .sarTotalSegments(3), .sarSegmentSequence(2), .sourcePort(80), .destinationPort(443),
        ]
        #expect(tlvs.receiptedMessageID == "abc")
        #expect(tlvs.messageState == .undeliverable)
        #expect(tlvs.networkErrorCode == NetworkErrorCode(networkType: 3, errorCode: 0x0102))
        #expect(tlvs.sarMessageReference == 0xBEEF)
        #expect(tlvs.sarTotalSegments == 3)
        #expect(tlvs.sarSegmentSequence == 2)
        #expect(tlvs.sourcePort == 80)
        #expect(tlvs.destinationPort == 443)
        #expect(tlvs.messagePayload == nil)
    }

    @Test func esmClassAndRegisteredDeliveryBits() {
        var esm = ESMClass.default
        esm.hasUDHI = true
        #expect(esm.rawValue == 0x40)
        esm.messageType = .smscDeliveryReceipt
        #expect(esm.rawValue == 0x44)
        #expect(esm.isDeliveryReceipt)
        esm.messagingMode = 3
        #expect(esm.rawValue == 0x47)
        #expect(RegisteredDelivery.onSuccessOrFailure.wantsReceipt(for: .delivered))
        #expect(!RegisteredDelivery.onFailure.wantsReceipt(for: .delivered))
        #expect(RegisteredDelivery.onFailure.wantsReceipt(for: .undeliverable))
        #expect(!RegisteredDelivery.none.wantsReceipt(for: .rejected))
    }

    @Test func encodingRejectsOverlongFields() {
        let tooLongSystemID = BindRequest(mode: .transceiver, systemID: String(repeating: "x", count: 16), password: "")
        #expect(throws: SMPPEncodingError.fieldTooLong(field: "system_id", maximumLength: 15, actual: 16)) {
            try PDUCodec.encode(PDU(body: .bind(tooLongSystemID), sequenceNumber: 1))
        }
        let tooLongMessage = SubmitSM(shortMessage: Array(repeating: 0x41, count: 255))
        #expect(throws: SMPPEncodingError.shortMessageTooLong(length: 255)) {
            try PDUCodec.encode(PDU(body: .submitSM(tooLongMessage), sequenceNumber: 1))
        }
        let address = SubmitSM(destination: SMPPAddress(address: String(repeating: "1", count: 21)))
        #expect(throws: SMPPEncodingError.fieldTooLong(field: "destination_addr", maximumLength: 20, actual: 21)) {
            try PDUCodec.validate(PDU(body: .submitSM(address), sequenceNumber: 1))
        }
        #expect(throws: SMPPEncodingError.nulInField(field: "password")) {
            try PDUCodec.encode(PDU(body: .bind(BindRequest(mode: .receiver, systemID: "a", password: "b\u{0}")), sequenceNumber: 1))
        }
    }

    @Test func statusAndCommandNames() {
        #expect(SMPPCommandStatus.throttled.rawValue == 0x58)
        #expect(SMPPCommandStatus.messageQueueFull.rawValue == 0x14)
        #expect(SMPPCommandStatus.receiverTemporaryAppError.rawValue == 0x64)
        #expect(SMPPCommandStatus.throttled.name == "ESME_RTHROTTLED")
        #expect(SMPPCommandStatus(rawValue: 0x401).name == "vendor(0x401)")
        #expect(SMPPCommandID.submitSM.responseID == .submitSMResp)
        #expect(SMPPCommandID.deliverSMResp.isResponse)
        #expect(SMPPCommandID.dataSM.description == "data_sm")
    }

    @Test(arguments: [
        (SMPPCommandStatus.throttled, true), (.messageQueueFull, true), (.systemError, true), (.receiverTemporaryAppError, true),
        (.invalidDestinationAddress, false), (.invalidSourceAddress, false), (.invalidMessageLength, false),
        (.invalidPassword, false), (.receiverPermanentAppError, false), (.ok, false), (SMPPCommandStatus(rawValue: 0x4AB), false),
    ])
    func transientClassification(_ status: SMPPCommandStatus, _ transient: Bool) {
        #expect(status.isTransient == transient)
    }
}
