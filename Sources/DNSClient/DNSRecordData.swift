/// The RDATA of a resource record, interpreted for the types this library needs and kept as raw
/// octets for every other type (RFC 3597), so that any well-formed message decodes.
public enum DNSRecordData: Sendable, Hashable {
    case a(IPv4Address)
    case aaaa(IPv6Address)
    case txt(DNSTXTRecord)
    case mx(DNSMXRecord)
    case cname(DNSName)
    case ns(DNSName)
    case soa(DNSSOARecord)
    /// Any other type, RDATA as received. Names inside such RDATA are never decompressed: RFC 3597
    /// §4 forbids compression in types a server may not know, so the octets are self-contained.
    case unknown(type: DNSRecordType, data: [UInt8])

    /// The record type this data belongs to.
    public var type: DNSRecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .txt: .txt
        case .mx: .mx
        case .cname: .cname
        case .ns: .ns
        case .soa: .soa
        case .unknown(let type, _): type
        }
    }
}

/// TXT RDATA: one or more character-strings of at most 255 octets each (RFC 1035 §3.3.14).
///
/// The strings are kept apart because some records mean them separately, while DKIM (RFC 6376
/// §3.6.2.2) and SPF (RFC 7208 §3.3) join them without separators: use `text` for those.
public struct DNSTXTRecord: Sendable, Hashable {
    /// The character-strings as received.
    public var characterStrings: [[UInt8]]

    public init(characterStrings: [[UInt8]]) {
        self.characterStrings = characterStrings
    }

    /// One character-string per element (each must be at most 255 octets of UTF-8 to encode).
    public init(strings: [String]) {
        characterStrings = strings.map { Array($0.utf8) }
    }

    /// Splits long text into 255-octet character-strings, the way zone tools store a DKIM key.
    /// Empty text gives one empty string, as a TXT record needs at least one.
    public init(splitting text: String) {
        let bytes = Array(text.utf8)
        characterStrings =
            bytes.isEmpty ? [[]] : stride(from: 0, to: bytes.count, by: 255).map { Array(bytes[$0..<min($0 + 255, bytes.count)]) }
    }

    /// Each character-string decoded as UTF-8 (invalid sequences become U+FFFD).
    public var strings: [String] { characterStrings.map { String(decoding: $0, as: UTF8.self) } }

    /// The character-strings concatenated, then decoded as UTF-8. Joining octets before decoding
    /// keeps a multi-byte character that a zone tool split across two strings intact.
    public var text: String { String(decoding: characterStrings.joined(), as: UTF8.self) }
}

/// MX RDATA (RFC 1035 §3.3.9): lower preference is tried first.
public struct DNSMXRecord: Sendable, Hashable {
    public var preference: UInt16
    public var exchange: DNSName

    public init(preference: UInt16, exchange: DNSName) {
        self.preference = preference
        self.exchange = exchange
    }

    /// A "null MX" (RFC 7505): a single MX of preference 0 to the root says the domain accepts no mail.
    public var isNullMX: Bool { exchange.isRoot }
}

/// SOA RDATA (RFC 1035 §3.3.13). Negative answers carry the zone's SOA in the authority section;
/// its `minimum` bounds how long the negative answer may be cached (RFC 2308 §5).
public struct DNSSOARecord: Sendable, Hashable {
    public var primaryNameServer: DNSName
    /// The zone administrator's mailbox, its first label being the local part.
    public var responsibleMailbox: DNSName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    public var minimum: UInt32

    public init(
        primaryNameServer: DNSName, responsibleMailbox: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32,
        expire: UInt32, minimum: UInt32
    ) {
        self.primaryNameServer = primaryNameServer
        self.responsibleMailbox = responsibleMailbox
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}
