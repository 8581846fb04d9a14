import Testing

@testable import SMPP

@Suite struct GSM7Tests {
    @Test func basicCharactersEncodeToOneSeptet() throws {
        let text = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./09:;<=>?¡AZÄÖÑÜ§¿azäöñüà"
        let encoded = try #require(GSM7.encode(text))
        #expect(encoded.count == text.unicodeScalars.count)
        #expect(SMSEncoding.plan(text).unitCount == text.unicodeScalars.count)
        #expect(encoded.prefix(4) == [0x00, 0x01, 0x02, 0x03])
        #expect(encoded.last == 0x7F)
        #expect(!encoded.contains(GSM7.escape))
    }

    @Test func extensionCharactersUseEscape() throws {
        let encoded = try #require(GSM7.encode("^{}\\[~]|€"))
        #expect(encoded == [0x1B, 0x14, 0x1B, 0x28, 0x1B, 0x29, 0x1B, 0x2F, 0x1B, 0x3C, 0x1B, 0x3D, 0x1B, 0x3E, 0x1B, 0x40, 0x1B, 0x65])
        #expect(GSM7.septetCount("^{}\\[~]|€") == 18)
        #expect(GSM7.decode(encoded) == "^{}\\[~]|€")
    }

    @Test func roundTripsTheWholeAlphabet() throws {
        let all = String(String.UnicodeScalarView(GSM7.basic.compactMap { $0 } + GSM7.extensionTable.values))
        let encoded = try #require(GSM7.encode(all))
        #expect(GSM7.decode(encoded) == all)
    }

    @Test func nonGSMCharactersAreRejected() {
        #expect(GSM7.encode("ç") == nil)
        #expect(GSM7.encode("😀") == nil)
        #expect(GSM7.septetCount("Привет") == nil)
        #expect(!GSM7.canEncode("a`b"))
    }

    @Test func decodeIsTolerant() {
        #expect(GSM7.decode([0x41, 0x1B]) == "A")
        #expect(GSM7.decode([0x1B, 0x41]) == "A")
        #expect(GSM7.decode([0x41, 0x80]) == "A\u{FFFD}")
    }

    @Test func dataCodingDecoding() {
        #expect(SMSText.decode([0x00, 0x48, 0xD8, 0x3D, 0xDE, 0x00], dataCoding: .ucs2) == "H😀")
        #expect(SMSText.decode([0xE9], dataCoding: .latin1) == "é")
        #expect(SMSText.decode(Array("plain".utf8), dataCoding: .ia5) == "plain")
        #expect(SMSText.decode([0x00, 0x01], dataCoding: .smscDefault) == "@£")
        #expect(SMSText.decode([0xD8, 0x3D], dataCoding: .ucs2) == "\u{FFFD}")
    }
}

@Suite struct SegmentationTests {
    @Test func selectsEncoding() {
        #expect(SMSEncoding.encoding(for: "Hello {world} €5") == .gsm7)
        #expect(SMSEncoding.encoding(for: "Grüße, façade") == .ucs2)
        #expect(SMSEncoding.encoding(for: "Hi 👋") == .ucs2)
        #expect(SMSEncoding.encoding(for: "") == .gsm7)
    }

    @Test(arguments: [
        (160, 1, 160), (161, 2, 153), (306, 2, 153), (307, 3, 153), (459, 3, 153), (460, 4, 153),
    ])
    func gsmBoundaries(length: Int, segments: Int, perSegment: Int) {
        let plan = SMSEncoding.plan(String(repeating: "a", count: length))
        #expect(plan == SMSPlan(encoding: .gsm7, segmentCount: segments, charactersPerSegment: perSegment, unitCount: length))
    }

    @Test(arguments: [(70, 1, 70), (71, 2, 67), (134, 2, 67), (135, 3, 67), (201, 3, 67), (202, 4, 67)])
    func ucs2Boundaries(length: Int, segments: Int, perSegment: Int) {
        let plan = SMSEncoding.plan("ж" + String(repeating: "a", count: length - 1))
        #expect(plan == SMSPlan(encoding: .ucs2, segmentCount: segments, charactersPerSegment: perSegment, unitCount: length))
    }

    @Test func extensionCharactersCountTwo() {
        #expect(SMSEncoding.plan(String(repeating: "€", count: 80)).segmentCount == 1)
        #expect(SMSEncoding.plan(String(repeating: "€", count: 80)).unitCount == 160)
        #expect(SMSEncoding.plan(String(repeating: "€", count: 81)).segmentCount == 2)
        #expect(SMSEncoding.plan(String(repeating: "a", count: 159) + "€").segmentCount == 2)
    }

    @Test func escapeSequenceIsNeverSplit() throws {
        // 152 'a' then '€': the escape would be septet 153 and its code septet 154.
        let text = String(repeating: "a", count: 152) + "€" + String(repeating: "b", count: 10)
        let parts = try MessageSegmentation.submitSMs(text: text, reference: 1)
        #expect(parts.count == 2)
        let firstUserData = try #require(parts.first?.userData.body)
        #expect(firstUserData.count == 152)
        #expect(firstUserData.last == 0x61)
        #expect(parts[1].userData.body.prefix(2) == [0x1B, 0x65])
    }

    @Test func emojiSurrogatePairIsNeverSplit() throws {
        // 66 units of 'ж' then an emoji (2 units): the pair would straddle units 67/68.
        let text = String(repeating: "ж", count: 66) + "😀" + String(repeating: "ж", count: 10)
        #expect(SMSEncoding.plan(text).unitCount == 78)
        let parts = try MessageSegmentation.submitSMs(text: text, reference: 1)
        #expect(parts.count == 2)
        #expect(parts[0].userData.body.count == 66 * 2)
        #expect(parts[1].userData.body.prefix(4) == [0xD8, 0x3D, 0xDE, 0x00])
        for part in parts {
            #expect(!part.text.contains("\u{FFFD}"))
        }
    }

    @Test func emojiOnlyMessages() {
        #expect(SMSEncoding.plan(String(repeating: "😀", count: 35)).segmentCount == 1)
        #expect(SMSEncoding.plan(String(repeating: "😀", count: 36)).segmentCount == 2)
        // 67 units per part and 2 per emoji: 33 emoji per part, so 67 emoji need 3 parts.
        #expect(SMSEncoding.plan(String(repeating: "😀", count: 67)).segmentCount == 3)
    }

    @Test func udhPartsCarryHeaderAndUDHI() throws {
        let text = String(repeating: "x", count: 200)
        let template = SubmitSM(source: .alphanumeric("Acme"), destination: .international("+15550100"), registeredDelivery: .onSuccessOrFailure)
        let parts = try MessageSegmentation.submitSMs(text: text, template: template, reference: 0x1A2B)
        #expect(parts.count == 2)
        for (index, part) in parts.enumerated() {
            #expect(part.esmClass.hasUDHI)
            #expect(part.shortMessage.prefix(6) == [0x05, 0x00, 0x03, 0x2B, 0x02, UInt8(index + 1)])
            #expect(part.destination.address == "15550100")
            #expect(part.registeredDelivery == .onSuccessOrFailure)
            #expect(part.shortMessage.count <= 159)
        }
    }

    @Test(arguments: [
        "short", String(repeating: "Lorem ipsum {dolor} sit amet € ", count: 20),
        String(repeating: "Привет, мир! 👋🏽 ", count: 15), String(repeating: "🇸🇪", count: 50),
    ])
    func reassemblyGivesOriginalText(text: String) throws {
        for method in [ConcatenationMethod.udh, .sar] {
            let parts = try MessageSegmentation.submitSMs(
                text: text,
                template: SubmitSM(
                    source: .international("+1"),
                    destination: .international("+2")), method: method, reference: 77)
            var assembler = ConcatenatedMessageAssembler()
            var result: AssembledMessage?
            for part in parts.reversed() {
                #expect(result == nil)
                result = assembler.add(part)
            }
            #expect(result?.text == text)
            #expect(result?.parts.count == parts.count)
            #expect(assembler.incompleteCount == 0)
        }
    }

    @Test func messagePayloadAlternative() throws {
        let text = String(repeating: "a", count: 500) + "€"
        let parts = try MessageSegmentation.submitSMs(text: text, method: .messagePayload, reference: 0)
        #expect(parts.count == 1)
        #expect(parts[0].shortMessage.isEmpty)
        #expect(parts[0].tlvs.messagePayload?.count == 502)
        #expect(parts[0].text == text)
    }

    @Test func sarPartsCarryTLVs() throws {
        let parts = try MessageSegmentation.submitSMs(text: String(repeating: "b", count: 400), method: .sar, reference: 0xABCD)
        #expect(parts.count == 3)
        #expect(parts.allSatisfy { !$0.esmClass.hasUDHI && $0.tlvs.sarMessageReference == 0xABCD && $0.tlvs.sarTotalSegments == 3 })
        #expect(parts.map { $0.tlvs.sarSegmentSequence } == [1, 2, 3])
    }

    @Test func tooManySegments() {
        #expect(throws: SegmentationError.tooManySegments(262)) {
            try MessageSegmentation.submitSMs(text: String(repeating: "a", count: 40_000), reference: 0)
        }
    }

    @Test func malformedUDHIsTreatedAsUserData() {
        let message = DeliverSM(esmClass: .udhi, shortMessage: [0x09, 0x00, 0x03])
        #expect(message.userData.header == nil)
        #expect(message.userData.body == [0x09, 0x00, 0x03])
    }
}
