/// The two alphabets the product sends: GSM 03.38 whenever possible (160 characters per SMS),
/// UCS-2 otherwise (70 per SMS).
public enum SMSTextEncoding: String, Hashable, Sendable {
    case gsm7
    case ucs2

    public var dataCoding: DataCoding {
        switch self {
        case .gsm7: .smscDefault
        case .ucs2: .ucs2
        }
    }

    /// Units that fit in a single, unsegmented message (septets or UTF-16 code units).
    public var singleSegmentCapacity: Int {
        self == .gsm7 ? 160 : 70
    }

    /// Units per part of a concatenated message, after the 6-octet UDH takes its share.
    public var multipartSegmentCapacity: Int {
        self == .gsm7 ? 153 : 67
    }
}

/// What sending a text will cost, in the terms ACS reports (encoding and segment count).
public struct SMSPlan: Hashable, Sendable {
    public var encoding: SMSTextEncoding
    /// Number of SMS parts the text is split into (at least 1).
    public var segmentCount: Int
    /// Capacity of each part in `encoding` units: 160/153 for GSM, 70/67 for UCS-2.
    public var charactersPerSegment: Int
    /// Length of the text in `encoding` units (GSM septets, extension characters counting 2,
    /// or UTF-16 code units, emoji counting 2).
    public var unitCount: Int
}

/// Alphabet selection and segment planning.
public enum SMSEncoding {
    /// GSM 03.38 if every character is in it (extension table included), else UCS-2.
    public static func encoding(for text: String) -> SMSTextEncoding {
        GSM7.canEncode(text) ? .gsm7 : .ucs2
    }

    /// Plans how `text` will be sent: the encoding, how many segments, and the capacity of each.
    /// The count comes from the real splitter, so it accounts for escape sequences and surrogate
    /// pairs that are never split (which can add a segment over a naive division).
    public static func plan(_ text: String) -> SMSPlan {
        let encoding = encoding(for: text)
        let chunks = MessageSegmentation.chunks(text, encoding: encoding)
        let units = chunks.units
        let single = chunks.parts.count <= 1
        return SMSPlan(
            encoding: encoding,
            segmentCount: max(chunks.parts.count, 1),
            charactersPerSegment: single ? encoding.singleSegmentCapacity : encoding.multipartSegmentCapacity,
            unitCount: units
        )
    }
}

/// Conversion between text and short_message octets for the data codings SMSCs use.
public enum SMSText {
    /// Octets for `text` in `encoding`: unpacked GSM septets, or UTF-16BE. Characters outside
    /// GSM 03.38 are replaced by "?" when `.gsm7` is forced.
    public static func encode(_ text: String, as encoding: SMSTextEncoding) -> [UInt8] {
        switch encoding {
        case .gsm7:
            var out: [UInt8] = []
            for scalar in text.unicodeScalars {
                out.append(contentsOf: GSM7.septets(for: scalar) ?? [0x3F])
            }
            return out
        case .ucs2:
            var out: [UInt8] = []
            out.reserveCapacity(text.utf16.count * 2)
            for unit in text.utf16 {
                out.append(UInt8(unit >> 8))
                out.append(UInt8(unit & 0xFF))
            }
            return out
        }
    }

    /// Decodes user data (UDH already removed). Never fails: unknown codings are read as Latin-1
    /// and malformed UTF-16 is repaired, because a receipt or MO must not be lost over one byte.
    public static func decode(_ octets: [UInt8], dataCoding: DataCoding) -> String {
        switch alphabet(of: dataCoding) {
        case .gsm7: return GSM7.decode(octets)
        case .ascii: return String(decoding: octets.map { $0 & 0x7F }, as: UTF8.self)
        case .ucs2: return decodeUTF16BE(octets)
        case .latin1: return latin1(octets)
        }
    }

    private enum Alphabet { case gsm7, ascii, latin1, ucs2 }

    private static func alphabet(of dataCoding: DataCoding) -> Alphabet {
        let value = dataCoding.rawValue
        switch value {
        case 0x00: return .gsm7
        case 0x01: return .ascii
        case 0x08: return .ucs2
        case 0x10...0x3F:
            // GSM 03.38 general data coding group: bits 3–2 select the alphabet.
            switch (value >> 2) & 0x03 {
            case 0: return .gsm7
            case 2: return .ucs2
            default: return .latin1
            }
        case 0xF0...0xFF:
            return value & 0x04 == 0 ? .gsm7 : .latin1
        default:
            return .latin1
        }
    }

    private static func decodeUTF16BE(_ octets: [UInt8]) -> String {
        var units: [UInt16] = []
        units.reserveCapacity(octets.count / 2)
        var index = 0
        while index + 1 < octets.count {
            units.append(UInt16(octets[index]) << 8 | UInt16(octets[index + 1]))
            index += 2
        }
        return String(decoding: units, as: UTF16.self)
    }

    private static func latin1(_ octets: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        for octet in octets { scalars.append(Unicode.Scalar(octet)) }
        return String(scalars)
    }
}
