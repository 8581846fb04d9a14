/// An SMSC delivery receipt: the de-facto SMPP v3.4 Appendix B text
/// (`id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…`) merged with the
/// receipted_message_id / message_state / network_error_code TLVs, which win when present
/// because they are typed and unambiguous.
public struct DeliveryReceipt: Hashable, Sendable {
    /// The SMSC message id of the submitted message (as returned in submit_sm_resp).
    public var messageID: String
    public var state: MessageState
    /// The `stat:` word as received (nil when absent), for logging unknown vendor words.
    public var rawState: String?
    /// `sub:` — number of short messages originally submitted.
    public var submitted: Int?
    /// `dlvrd:` — number of short messages delivered.
    public var delivered: Int?
    public var submitDate: ReceiptTimestamp?
    public var doneDate: ReceiptTimestamp?
    /// `err:` as received; network or SMSC specific (often 3 decimal digits, sometimes hex).
    public var errorCode: String?
    public var networkErrorCode: NetworkErrorCode?
    /// `text:` — the first characters of the original message, when the SMSC echoes them.
    public var text: String?

    public init(
        messageID: String,
        state: MessageState,
        rawState: String? = nil,
        submitted: Int? = nil,
        delivered: Int? = nil,
        submitDate: ReceiptTimestamp? = nil,
        doneDate: ReceiptTimestamp? = nil,
        errorCode: String? = nil,
        networkErrorCode: NetworkErrorCode? = nil,
        text: String? = nil
    ) {
        self.messageID = messageID
        self.state = state
        self.rawState = rawState
        self.submitted = submitted
        self.delivered = delivered
        self.submitDate = submitDate
        self.doneDate = doneDate
        self.errorCode = errorCode
        self.networkErrorCode = networkErrorCode
        self.text = text
    }

    /// `err:` read as a decimal number, when it is one.
    public var errorCodeValue: Int? {
        errorCode.flatMap { Int($0) }
    }

    /// Builds the receipt of a deliver_sm, or nil if it is not one.
    ///
    /// A PDU counts as a receipt when its esm_class says so, when it carries
    /// receipted_message_id, or — for SMSCs that leave esm_class at 0 — when its text starts with
    /// `id:` and has a `stat:` field with a known state word (so that an MO message that merely
    /// mentions "id:" is not mistaken for a receipt).
    public init?(deliverSM pdu: DeliverSM) {
        let text = pdu.text
        let parsed = DeliveryReceipt(text: text)
        let tlvID = pdu.tlvs.receiptedMessageID
        let textIsReceipt =
            text.trimmingASCIIWhitespace.lowercased().hasPrefix("id:")
            && parsed?.rawState.flatMap { MessageState(receiptWord: $0) } != nil
        let looksLikeReceipt = pdu.esmClass.isDeliveryReceipt || tlvID != nil || textIsReceipt
        guard looksLikeReceipt, let messageID = tlvID ?? parsed?.messageID, !messageID.isEmpty else {
            return nil
        }
        var receipt = parsed ?? DeliveryReceipt(messageID: messageID, state: .unknown)
        receipt.messageID = messageID
        if let state = pdu.tlvs.messageState {
            receipt.state = state
        }
        receipt.networkErrorCode = pdu.tlvs.networkErrorCode
        self = receipt
    }

    /// Parses Appendix B receipt text. Tolerates any letter case, `_` for the space in
    /// `submit date`/`done date`, blanks around `:`, missing fields and 10/12/14-digit dates.
    /// Needs at least an `id:`; a missing or unrecognised `stat:` yields `.unknown`.
    public init?(text: String) {
        let fields = ReceiptTextScanner.fields(of: text)
        guard let id = fields["id"], !id.isEmpty else { return nil }
        let stat = fields["stat"]
        self.init(
            messageID: id,
            state: stat.flatMap { MessageState(receiptWord: $0) } ?? .unknown,
            rawState: stat,
            submitted: fields["sub"].flatMap { Int($0) },
            delivered: fields["dlvrd"].flatMap { Int($0) },
            submitDate: fields["submit date"].flatMap { ReceiptTimestamp(receiptField: $0) },
            doneDate: fields["done date"].flatMap { ReceiptTimestamp(receiptField: $0) },
            errorCode: fields["err"],
            text: fields["text"]
        )
    }

    /// The Appendix B text for this receipt (what an SMSC puts in short_message); `text:` is cut
    /// to 20 characters as the appendix shows.
    public var formattedText: String {
        func three(_ value: Int?) -> String {
            let digits = String(value ?? 0)
            return String(repeating: "0", count: max(0, 3 - digits.count)) + digits
        }
        var parts = [
            "id:\(messageID)", "sub:\(three(submitted ?? 1))", "dlvrd:\(three(delivered ?? 0))",
            "submit date:\(submitDate?.receiptField ?? "")", "done date:\(doneDate?.receiptField ?? "")",
            "stat:\(state.receiptWord)", "err:\(errorCode ?? "000")",
        ]
        parts.append("text:" + String((text ?? "").prefix(20)))
        return parts.joined(separator: " ")
    }

    /// Whether a submit_sm_resp message_id and a receipt id denote the same message.
    ///
    /// Many SMSCs answer submit_sm with a hex id and report the same number in decimal in the
    /// receipt (or the other way round), sometimes zero-padded. The ids match when they are equal
    /// ignoring case, or when one read as hex equals the other read as decimal.
    public static func messageIDsMatch(_ submitted: String, _ receipted: String) -> Bool {
        let left = submitted.trimmingASCIIWhitespace
        let right = receipted.trimmingASCIIWhitespace
        guard !left.isEmpty, !right.isEmpty else { return false }
        if left.lowercased() == right.lowercased() { return true }
        let leftValues = [UInt64(left, radix: 10), UInt64(left, radix: 16)]
        let rightValues = [UInt64(right, radix: 10), UInt64(right, radix: 16)]
        for leftValue in leftValues.compactMap({ $0 }) where rightValues.contains(leftValue) {
            return true
        }
        return false
    }
}

/// Splits receipt text into `key → value` using the known Appendix B keys as delimiters.
enum ReceiptTextScanner {
    /// Longest keys first so that `submit date` wins over `sub`.
    private static let keys: [(spelling: String, canonical: String)] = [
        ("submit date", "submit date"), ("submit_date", "submit date"), ("submitdate", "submit date"),
        ("done date", "done date"), ("done_date", "done date"), ("donedate", "done date"),
        ("dlvrd", "dlvrd"), ("stat", "stat"), ("text", "text"), ("err", "err"), ("sub", "sub"), ("id", "id"),
    ]

    static func fields(of text: String) -> [String: String] {
        let scalars = Array(text.unicodeScalars)
        var found: [(key: String, keyStart: Int, valueStart: Int)] = []
        var index = 0
        while index < scalars.count {
            let atBoundary = index == 0 || scalars[index - 1].properties.isWhitespace
            if atBoundary, let match = matchKey(in: scalars, at: index) {
                if !found.contains(where: { $0.key == match.key }) {
                    found.append((match.key, index, match.valueStart))
                }
                if match.key == "text" { break }
                index = match.valueStart
                continue
            }
            index += 1
        }
        var result: [String: String] = [:]
        for (position, field) in found.enumerated() {
            let end = position + 1 < found.count ? found[position + 1].keyStart : scalars.count
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[field.valueStart..<max(field.valueStart, end)])
            let value = String(view)
            result[field.key] = field.key == "text" ? value : value.trimmingASCIIWhitespace
        }
        return result
    }

    private static func matchKey(in scalars: [Unicode.Scalar], at start: Int) -> (key: String, valueStart: Int)? {
        for (spelling, canonical) in keys {
            var index = start
            var matched = true
            for expected in spelling.unicodeScalars {
                guard index < scalars.count, lowercase(scalars[index]) == expected else {
                    matched = false
                    break
                }
                index += 1
            }
            guard matched else { continue }
            while index < scalars.count, scalars[index] == " " { index += 1 }
            guard index < scalars.count, scalars[index] == ":" else { continue }
            index += 1
            if canonical == "text" {
                return (canonical, index)
            }
            while index < scalars.count, scalars[index] == " " { index += 1 }
            return (canonical, index)
        }
        return nil
    }

    private static func lowercase(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        ("A"..."Z").contains(scalar) ? Unicode.Scalar(scalar.value + 32) ?? scalar : scalar
    }
}

extension String {
    var trimmingASCIIWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
