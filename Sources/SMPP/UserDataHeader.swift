/// A GSM User Data Header (3GPP TS 23.040 §9.2.3.24), present when esm_class has UDHI set.
///
/// Only concatenation is interpreted; other information elements (ports, national language
/// shift, …) are kept as raw elements so a message can be forwarded unchanged.
public struct UserDataHeader: Hashable, Sendable {
    public struct Element: Hashable, Sendable {
        public var identifier: UInt8
        public var data: [UInt8]

        public init(identifier: UInt8, data: [UInt8]) {
            self.identifier = identifier
            self.data = data
        }
    }

    /// Concatenation info from IEI 0x00 (8-bit reference) or IEI 0x08 (16-bit reference).
    public struct Concatenation: Hashable, Sendable {
        public var reference: UInt16
        public var total: UInt8
        /// 1-based part number.
        public var sequence: UInt8

        public init(reference: UInt16, total: UInt8, sequence: UInt8) {
            self.reference = reference
            self.total = total
            self.sequence = sequence
        }
    }

    public var elements: [Element]

    public init(elements: [Element]) {
        self.elements = elements
    }

    /// The 6-octet header `05 00 03 ref total seq` used for concatenated SMS with 8-bit reference.
    public static func concatenation8Bit(reference: UInt8, total: UInt8, sequence: UInt8) -> UserDataHeader {
        UserDataHeader(elements: [Element(identifier: 0x00, data: [reference, total, sequence])])
    }

    public var concatenation: Concatenation? {
        for element in elements {
            if element.identifier == 0x00, element.data.count == 3 {
                return Concatenation(reference: UInt16(element.data[0]), total: element.data[1], sequence: element.data[2])
            }
            if element.identifier == 0x08, element.data.count == 4 {
                let reference = UInt16(element.data[0]) << 8 | UInt16(element.data[1])
                return Concatenation(reference: reference, total: element.data[2], sequence: element.data[3])
            }
        }
        return nil
    }

    /// The header octets, length octet (UDHL) first.
    public var encoded: [UInt8] {
        var body: [UInt8] = []
        for element in elements {
            body.append(element.identifier)
            body.append(UInt8(truncatingIfNeeded: element.data.count))
            body.append(contentsOf: element.data)
        }
        return [UInt8(truncatingIfNeeded: body.count)] + body
    }

    /// Parses the header at the start of `bytes`; returns it with its total size (UDHL + 1), or
    /// nil when the header is malformed (then the caller treats everything as user data).
    public static func parse(_ bytes: [UInt8]) -> (UserDataHeader, Int)? {
        guard let first = bytes.first else { return nil }
        let headerLength = Int(first)
        guard headerLength + 1 <= bytes.count else { return nil }
        var elements: [Element] = []
        var index = 1
        while index < headerLength + 1 {
            guard index + 1 < headerLength + 1 else { return nil }
            let identifier = bytes[index]
            let length = Int(bytes[index + 1])
            let dataStart = index + 2
            guard dataStart + length <= headerLength + 1 else { return nil }
            elements.append(Element(identifier: identifier, data: Array(bytes[dataStart..<dataStart + length])))
            index = dataStart + length
        }
        return (UserDataHeader(elements: elements), headerLength + 1)
    }
}
