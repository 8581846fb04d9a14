import NIOCore
import NIOEmbedded
import Testing
import TestSupport

@testable import SMPP

@Suite struct MalformedInputTests {
    /// A valid submit_sm body with destination "1", text "Hi".
    static let submitBody: [UInt8] = [0] + [1, 1] + cstr("") + [1, 1] + cstr("1") + [0, 0, 0] + [0, 0] + [0, 0, 0, 0] + [2, 0x48, 0x69]

    @Test func truncatedHeaderIsTypedError() {
        #expect(throws: SMPPDecodingError.truncatedHeader(length: 10)) {
            try PDUCodec.decode(bytes: Array(hex("00 00 00 10 00 00 00 15 00 00")))
        }
    }

    @Test func commandLengthMismatchIsTypedError() {
        #expect(throws: SMPPDecodingError.commandLengthMismatch(declared: 20, actual: 16)) {
            try PDUCodec.decode(bytes: frame(commandID: 0x15, length: 20))
        }
    }

    @Test func unknownCommandIDIsTypedError() {
        #expect(throws: SMPPDecodingError.unknownCommandID(SMPPCommandID(rawValue: 0x77))) {
            try PDUCodec.decode(bytes: frame(commandID: 0x77))
        }
        #expect(SMPPDecodingError.unknownCommandID(.querySM).commandStatus == .invalidCommandID)
    }

    @Test func truncatedBodiesAreTypedErrors() {
        for cut in 0..<Self.submitBody.count {
            let body = Array(Self.submitBody.prefix(cut))
            #expect(throws: SMPPDecodingError.self) {
                try PDUCodec.decode(bytes: frame(commandID: 4, body: body))
            }
        }
    }

    @Test func missingCStringTerminator() {
        let body = Array("SMPP3TEST".utf8)
        #expect(throws: SMPPDecodingError.unterminatedCString(field: "system_id")) {
            try PDUCodec.decode(bytes: frame(commandID: 9, body: body))
        }
    }

    @Test func overlongCStringFields() {
        let systemID = Array(repeating: UInt8(0x41), count: 16) + [0]
        #expect(throws: SMPPDecodingError.cStringTooLong(field: "system_id", maximumLength: 16)) {
            try PDUCodec.decode(bytes: frame(commandID: 9, body: systemID + cstr("") + cstr("") + [0x34, 0, 0] + cstr("")))
        }
        let longAddress = [0] + [1, 1] + Array(repeating: UInt8(0x31), count: 21) + [0]
        #expect(throws: SMPPDecodingError.cStringTooLong(field: "source_addr", maximumLength: 21)) {
            try PDUCodec.decode(bytes: frame(commandID: 4, body: longAddress))
        }
        let longID = Array(repeating: UInt8(0x41), count: 65) + [0]
        #expect(throws: SMPPDecodingError.cStringTooLong(field: "message_id", maximumLength: 65)) {
            try PDUCodec.decode(bytes: frame(commandID: 0x8000_0004, body: longID))
        }
    }

    @Test func smLengthBeyondBody() {
        var body = Self.submitBody
        body[body.count - 3] = 40
        #expect(throws: SMPPDecodingError.smLengthExceedsBody(smLength: 40, available: 2)) {
            try PDUCodec.decode(bytes: frame(commandID: 4, body: body))
        }
        #expect(SMPPDecodingError.smLengthExceedsBody(smLength: 40, available: 2).commandStatus == .invalidMessageLength)
    }

    @Test func smLengthAbove254() {
        var body = Array(Self.submitBody.dropLast(3))
        body += [255] + Array(repeating: UInt8(0x41), count: 255)
        #expect(throws: SMPPDecodingError.shortMessageTooLong(length: 255)) {
            try PDUCodec.decode(bytes: frame(commandID: 4, body: body))
        }
    }

    @Test func malformedTLVs() {
        #expect(throws: SMPPDecodingError.truncatedTLV(offset: 20)) {
            try PDUCodec.decode(bytes: frame(commandID: 4, body: Self.submitBody + [0x04, 0x24, 0x00]))
        }
        #expect(throws: SMPPDecodingError.truncatedTLV(offset: 20)) {
            try PDUCodec.decode(bytes: frame(commandID: 4, body: Self.submitBody + hex("04 24 00 05 41 41")))
        }
        #expect(throws: SMPPDecodingError.invalidTLVLength(tag: .messageState, length: 2)) {
            try PDUCodec.decode(bytes: frame(commandID: 5, body: Self.submitBody + hex("04 27 00 02 01 02")))
        }
    }

    @Test func unexpectedBodyOnHeaderOnlyPDU() {
        #expect(throws: SMPPDecodingError.unexpectedBody(.enquireLink, extraOctets: 1)) {
            try PDUCodec.decode(bytes: frame(commandID: 0x15, body: [0]))
        }
    }

    @Test func randomBytesNeverCrash() {
        var generator = SplitMix64(seed: 0x5EED)
        var decoded = 0
        for iteration in 0..<8_000 {
            let count = Int(generator.next() % 80)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if iteration % 2 == 0, bytes.count >= 16 {
                // Make the header plausible so the body decoders get exercised, not just the length check.
                let ids: [UInt32] = [1, 2, 4, 5, 6, 9, 0x15, 0x103, 0x8000_0004, 0x8000_0005, 0x8000_0009, 0x8000_0103]
                let id = ids[Int(generator.next() % UInt64(ids.count))]
                bytes.replaceSubrange(0..<8, with: frame(commandID: id, length: UInt32(bytes.count)).prefix(8))
            }
            if (try? PDUCodec.decode(bytes: bytes)) != nil { decoded += 1 }
            var buffer = ByteBuffer(bytes: bytes)
            _ = try? SMPPFrameDecoder(maximumFrameLength: 64).nextFrame(&buffer)
        }
        #expect(decoded > 0)
    }

    // MARK: Framing

    @Test func frameDecoderSplitsAndReassemblesFrames() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMPPFrameDecoder()))
        let enquire = frame(commandID: 0x15, sequence: 1)
        let submit = frame(commandID: 4, sequence: 2, body: Self.submitBody)
        let stream = enquire + submit
        // Deliver byte by byte across the boundary, then the rest.
        for byte in stream.prefix(20) {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        try channel.writeInbound(ByteBuffer(bytes: stream.dropFirst(20)))
        let first = try #require(try channel.readInbound(as: ByteBuffer.self))
        let second = try #require(try channel.readInbound(as: ByteBuffer.self))
        #expect(Array(first.readableBytesView) == enquire)
        #expect(Array(second.readableBytesView) == submit)
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        _ = try channel.finish()
    }

    @Test func frameDecoderRejectsTooSmallCommandLength() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMPPFrameDecoder()))
        #expect(throws: SMPPFramingError.invalidCommandLength(15, maximum: 65_536)) {
            try channel.writeInbound(ByteBuffer(bytes: hex("00 00 00 0F 00 00 00 15 00 00 00 00 00 00 00")))
        }
        _ = try? channel.finish()
    }

    @Test func frameDecoderRejectsTooLargeCommandLengthBeforeBuffering() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMPPFrameDecoder(maximumFrameLength: 1024)))
        #expect(throws: SMPPFramingError.invalidCommandLength(0x7FFF_FFFF, maximum: 1024)) {
            try channel.writeInbound(ByteBuffer(bytes: hex("7F FF FF FF")))
        }
        _ = try? channel.finish()
    }

    @Test func frameDecoderReportsTruncatedFrameAtEOF() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMPPFrameDecoder()))
        try channel.writeInbound(ByteBuffer(bytes: hex("00 00 00 20 00 00 00 04")))
        #expect(throws: SMPPFramingError.truncatedFrame(received: 8, expected: 32)) {
            try channel.finish()
        }
    }

    @Test func encoderWritesPDUs() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(SMPPPDUEncoder()))
        try channel.writeOutbound(PDU(body: .enquireLink, sequenceNumber: 1))
        let bytes = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(Array(bytes.readableBytesView) == hex("00 00 00 10 00 00 00 15 00 00 00 00 00 00 00 01"))
        _ = try channel.finish()
    }
}
