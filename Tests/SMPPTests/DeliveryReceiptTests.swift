import Foundation
import Testing

@testable import SMPP

@Suite struct DeliveryReceiptTests {
    @Test func parsesTheAppendixBFormat() throws {
        let text = "id:0123456789 sub:001 dlvrd:001 submit date:2403151230 done date:2403151231 stat:DELIVRD err:000 text:Hello there"
        let receipt = try #require(DeliveryReceipt(text: text))
        #expect(receipt.messageID == "0123456789")
        #expect(receipt.state == .delivered)
        #expect(receipt.submitted == 1)
        #expect(receipt.delivered == 1)
        #expect(receipt.submitDate == ReceiptTimestamp(year: 2024, month: 3, day: 15, hour: 12, minute: 30))
        #expect(receipt.doneDate == ReceiptTimestamp(year: 2024, month: 3, day: 15, hour: 12, minute: 31))
        #expect(receipt.errorCode == "000")
        #expect(receipt.errorCodeValue == 0)
        #expect(receipt.text == "Hello there")
    }

    /// Receipts as seen from real SMSCs and aggregators: case, spacing, field order, dates and ids vary.
    @Test(arguments: [
        (
            "id:c449ab9744f47b6af1879e49e75e4f40 sub:001 dlvrd:001 submit date:0610191018 done date:0610191018 stat:DELIVRD err:000 Text:hi",
            "c449ab9744f47b6af1879e49e75e4f40", MessageState.delivered, String?("000")
        ),
        (
            "ID:12345 SUB:001 DLVRD:000 SUBMIT DATE:2101011200 DONE DATE:2101011300 STAT:UNDELIV ERR:001 TEXT:",
            "12345", .undeliverable, "001"
        ),
        ("id:7F3A sub:1 dlvrd:0 submit date:210101120000 done date:210101130005 stat:EXPIRED err:27", "7F3A", .expired, "27"),
        ("id:abc-123-def stat:REJECTD err:0x0B", "abc-123-def", .rejected, "0x0B"),
        (
            "id: 42  sub: 001  dlvrd: 001  submit date: 2101011200  done date: 2101011200  stat: DELIVRD  err: 000  text: x",
            "42", .delivered, "000"
        ),
        ("id:99 submit_date:2101011200 done_date:2101011201 stat:deleted err:000", "99", .deleted, "000"),
        (
            "id:100 sub:001 dlvrd:000 submit date:2101011200 done date:2101011200 stat:ACCEPTD err:000 text:",
            "100", .accepted, "000"
        ),
        ("id:101 stat:UNKNOWN err:000", "101", .unknown, "000"),
        (
            "id:102 sub:001 dlvrd:000 submit date:2101011200 done date:2101011200 stat:ENROUTE err:000 text:",
            "102", .enroute, "000"
        ),
        ("id:103 stat:DELIVERED", "103", .delivered, nil),
        ("err:000 stat:UNDELIV id:104 dlvrd:000", "104", .undeliverable, "000"),
        (
            "id:105 sub:001 dlvrd:001 submit date:2101011200 done date:2101011200 stat:DELIVRD err:000 text:id:999 stat:REJECTD",
            "105", .delivered, "000"
        ),
        ("id:106 stat:SOMETHING err:5", "106", .unknown, "5"),
    ])
    func realWorldVariants(text: String, id: String, state: MessageState, error: String?) throws {
        let receipt = try #require(DeliveryReceipt(text: text))
        #expect(receipt.messageID == id)
        #expect(receipt.state == state)
        #expect(receipt.errorCode == error)
    }

    @Test func twelveDigitDatesCarrySeconds() throws {
        let receipt = try #require(DeliveryReceipt(text: "id:1 submit date:231231235958 done date:240101000001 stat:DELIVRD"))
        #expect(receipt.submitDate == ReceiptTimestamp(year: 2023, month: 12, day: 31, hour: 23, minute: 59, second: 58))
        #expect(receipt.doneDate?.second == 1)
        #expect(receipt.doneDate?.date(utcOffsetSeconds: 0) == Date(timeIntervalSince1970: 1_704_067_201))
        #expect(receipt.doneDate?.date(utcOffsetSeconds: 3_600) == Date(timeIntervalSince1970: 1_704_063_601))
    }

    @Test func invalidDatesAreIgnored() throws {
        let receipt = try #require(DeliveryReceipt(text: "id:1 submit date:2413011200 done date:abc stat:DELIVRD"))
        #expect(receipt.submitDate == nil)
        #expect(receipt.doneDate == nil)
        #expect(receipt.state == .delivered)
    }

    @Test func textWithoutIDIsNotAReceipt() {
        #expect(DeliveryReceipt(text: "Hello, see you at 10:30") == nil)
        #expect(DeliveryReceipt(text: "") == nil)
        #expect(DeliveryReceipt(text: "stat:DELIVRD err:000") == nil)
    }

    @Test func tlvsWinOverText() throws {
        let pdu = DeliverSM(
            esmClass: .deliveryReceipt,
            shortMessage: SMSText.encode("id:000000FF sub:001 dlvrd:000 stat:ENROUTE err:000 text:", as: .gsm7),
            tlvs: [.receiptedMessageID("FF"), .messageState(.undeliverable), .networkErrorCode(networkType: 3, errorCode: 1)])
        let receipt = try #require(DeliveryReceipt(deliverSM: pdu))
        #expect(receipt.messageID == "FF")
        #expect(receipt.state == .undeliverable)
        #expect(receipt.rawState == "ENROUTE")
        #expect(receipt.networkErrorCode == NetworkErrorCode(networkType: 3, errorCode: 1))
    }

    @Test func tlvOnlyReceipt() throws {
        let pdu = DeliverSM(esmClass: .deliveryReceipt, tlvs: [.receiptedMessageID("abc"), .messageState(.delivered)])
        let receipt = try #require(DeliveryReceipt(deliverSM: pdu))
        #expect(receipt.messageID == "abc")
        #expect(receipt.state == .delivered)
    }

    @Test func receiptWithoutReceiptESMClassIsRecognisedFromText() throws {
        let pdu = DeliverSM(shortMessage: Array("id:55 sub:001 dlvrd:001 stat:DELIVRD err:000".utf8))
        #expect(try #require(DeliveryReceipt(deliverSM: pdu)).messageID == "55")
        let mobileOriginated = DeliverSM(shortMessage: Array("my id: 55, stat: fine".utf8))
        #expect(DeliveryReceipt(deliverSM: mobileOriginated) == nil)
    }

    @Test func formattedTextRoundTrips() throws {
        let original = DeliveryReceipt(
            messageID: "0000ABCD", state: .undeliverable, submitted: 1, delivered: 0,
            submitDate: ReceiptTimestamp(year: 2025, month: 6, day: 7, hour: 8, minute: 9),
            doneDate: ReceiptTimestamp(year: 2025, month: 6, day: 7, hour: 8, minute: 10), errorCode: "034",
            text: "This is a longer text than twenty characters")
        #expect(
            original.formattedText
                == "id:0000ABCD sub:001 dlvrd:000 submit date:2506070809 done date:2506070810 stat:UNDELIV err:034 text:This is a longer tex")
        let parsed = try #require(DeliveryReceipt(text: original.formattedText))
        #expect(parsed.messageID == original.messageID)
        #expect(parsed.state == original.state)
        #expect(parsed.submitDate == original.submitDate)
        #expect(parsed.text == "This is a longer tex")
    }

    @Test func hexAndDecimalIDsMatch() {
        #expect(DeliveryReceipt.messageIDsMatch("1A2B3C", "1715004"))
        #expect(DeliveryReceipt.messageIDsMatch("1715004", "1a2b3c"))
        #expect(DeliveryReceipt.messageIDsMatch("00ff", "255"))
        #expect(DeliveryReceipt.messageIDsMatch("0000000123", "123"))
        #expect(DeliveryReceipt.messageIDsMatch("abc-DEF", "ABC-def"))
        #expect(!DeliveryReceipt.messageIDsMatch("1A2B3C", "1715005"))
        #expect(!DeliveryReceipt.messageIDsMatch("", ""))
        #expect(!DeliveryReceipt.messageIDsMatch("uuid-1", "uuid-2"))
    }

    @Test func timestampFromDate() {
        let stamp = ReceiptTimestamp(date: Date(timeIntervalSince1970: 1_709_251_199))
        #expect(stamp == ReceiptTimestamp(year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59))
        #expect(stamp.receiptField == "2402292359")
    }

    @Test func stateWords() {
        for state in MessageState.allCases {
            #expect(MessageState(receiptWord: state.receiptWord) == state)
            #expect(MessageState(receiptWord: state.receiptWord.lowercased()) == state)
        }
        #expect(MessageState(receiptWord: "UNDELIVERABLE") == .undeliverable)
        #expect(MessageState.delivered.rawValue == 2)
        #expect(MessageState.rejected.rawValue == 8)
        #expect(!MessageState.enroute.isFinal)
        #expect(MessageState.expired.isFinal)
    }
}
