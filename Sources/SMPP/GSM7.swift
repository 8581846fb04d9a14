/// The GSM 03.38 (3GPP TS 23.038) default alphabet and its basic extension table, in the
/// unpacked form SMPP uses with data_coding 0x00: one septet per octet, extension characters as
/// the escape 0x1B followed by their code.
public enum GSM7 {
    /// The escape octet that introduces an extension-table character.
    public static let escape: UInt8 = 0x1B

    /// Default alphabet, indexed by septet; 0x1B is the escape and has no character.
    static let basic: [Unicode.Scalar?] = {
        let table: [UInt32] = [
            0x40, 0xA3, 0x24, 0xA5, 0xE8, 0xE9, 0xF9, 0xEC, 0xF2, 0xC7, 0x0A, 0xD8, 0xF8, 0x0D, 0xC5, 0xE5,
            0x394, 0x5F, 0x3A6, 0x393, 0x39B, 0x3A9, 0x3A0, 0x3A8, 0x3A3, 0x398, 0x39E, 0x1B, 0xC6, 0xE6, 0xDF, 0xC9,
            0x20, 0x21, 0x22, 0x23, 0xA4, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F,
            0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F,
            0xA1, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F,
            0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0xC4, 0xD6, 0xD1, 0xDC, 0xA7,
            0xBF, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F,
            0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0xE4, 0xF6, 0xF1, 0xFC, 0xE0,
        ]
        return table.enumerated().map { index, value in index == 0x1B ? nil : Unicode.Scalar(value) }
    }()

    /// Basic extension table: septet after the escape → character.
    static let extensionTable: [UInt8: Unicode.Scalar] = [
        0x0A: "\u{0C}", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\",
        0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€",
    ]

    private static let basicReverse: [Unicode.Scalar: UInt8] = {
        var map: [Unicode.Scalar: UInt8] = [:]
        for (index, scalar) in basic.enumerated() {
            if let scalar { map[scalar] = UInt8(index) }
        }
        return map
    }()

    private static let extensionReverse: [Unicode.Scalar: UInt8] = {
        var map: [Unicode.Scalar: UInt8] = [:]
        for (code, scalar) in extensionTable { map[scalar] = code }
        return map
    }()

    /// The unpacked octets of one character: one septet, or escape + septet for an extension
    /// character; nil when the character is outside GSM 03.38.
    public static func septets(for scalar: Unicode.Scalar) -> [UInt8]? {
        if let code = basicReverse[scalar] { return [code] }
        if let code = extensionReverse[scalar] { return [escape, code] }
        return nil
    }

    /// Whether every character of `text` has a GSM 03.38 representation.
    public static func canEncode(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { basicReverse[$0] != nil || extensionReverse[$0] != nil }
    }

    /// Number of septets `text` occupies (extension characters count 2); nil if not encodable.
    public static func septetCount(_ text: String) -> Int? {
        var count = 0
        for scalar in text.unicodeScalars {
            guard let septets = septets(for: scalar) else { return nil }
            count += septets.count
        }
        return count
    }

    /// Unpacked GSM 03.38 octets for `text`; nil if a character is outside the alphabet.
    public static func encode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            guard let septets = septets(for: scalar) else { return nil }
            out.append(contentsOf: septets)
        }
        return out
    }

    /// Decodes unpacked GSM 03.38 octets. Never fails: an escape followed by an unassigned code
    /// yields the default-table character (as 3GPP TS 23.038 asks of receivers), a trailing lone
    /// escape is dropped, and octets above 0x7F become U+FFFD.
    public static func decode(_ octets: some Collection<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        var escaped = false
        for octet in octets {
            guard octet < 0x80 else {
                scalars.append("\u{FFFD}")
                escaped = false
                continue
            }
            if escaped {
                escaped = false
                if let scalar = extensionTable[octet] {
                    scalars.append(scalar)
                } else if let scalar = basic[Int(octet)] {
                    scalars.append(scalar)
                }
                continue
            }
            if octet == escape {
                escaped = true
            } else if let scalar = basic[Int(octet)] {
                scalars.append(scalar)
            }
        }
        return String(scalars)
    }
}
