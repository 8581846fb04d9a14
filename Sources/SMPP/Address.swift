/// Type of Number of an SMPP address (SMPP v3.4 §5.2.5).
public struct TypeOfNumber: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unknown = Self(rawValue: 0)
    public static let international = Self(rawValue: 1)
    public static let national = Self(rawValue: 2)
    public static let networkSpecific = Self(rawValue: 3)
    public static let subscriberNumber = Self(rawValue: 4)
    /// Alphanumeric sender ids ("Contoso") use TON 5.
    public static let alphanumeric = Self(rawValue: 5)
    public static let abbreviated = Self(rawValue: 6)
}

/// Numbering Plan Indicator of an SMPP address (SMPP v3.4 §5.2.6).
public struct NumberingPlan: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unknown = Self(rawValue: 0)
    /// ISDN (E.163/E.164): ordinary phone numbers.
    public static let isdn = Self(rawValue: 1)
    public static let data = Self(rawValue: 3)
    public static let telex = Self(rawValue: 4)
    public static let landMobile = Self(rawValue: 6)
    public static let national = Self(rawValue: 8)
    public static let `private` = Self(rawValue: 9)
    public static let ermes = Self(rawValue: 10)
    public static let internet = Self(rawValue: 14)
    public static let wapClientID = Self(rawValue: 18)
}

/// An SME address: TON, NPI and the address digits/characters.
public struct SMPPAddress: Hashable, Sendable, CustomStringConvertible {
    public var ton: TypeOfNumber
    public var npi: NumberingPlan
    public var address: String

    public init(ton: TypeOfNumber = .unknown, npi: NumberingPlan = .unknown, address: String = "") {
        self.ton = ton
        self.npi = npi
        self.address = address
    }

    /// An E.164 number such as "+14255550123": the "+" is dropped because SMPP conveys it with
    /// TON international / NPI ISDN, and carriers reject addresses that contain it.
    public static func international(_ e164: String) -> SMPPAddress {
        let digits = e164.hasPrefix("+") ? String(e164.dropFirst()) : e164
        return SMPPAddress(ton: .international, npi: .isdn, address: digits)
    }

    /// An alphanumeric sender id (TON 5, NPI 0); carriers allow at most 11 characters.
    public static func alphanumeric(_ name: String) -> SMPPAddress {
        SMPPAddress(ton: .alphanumeric, npi: .unknown, address: name)
    }

    public var description: String {
        "\(address) (ton=\(ton.rawValue) npi=\(npi.rawValue))"
    }
}
