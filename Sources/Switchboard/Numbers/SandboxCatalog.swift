import Foundation

/// A kind of phone number, as ACS names it on the wire (`phoneNumberType`).
public enum PhoneNumberType: String, Sendable, Codable, CaseIterable {
    case geographic
    case tollFree
    case mobile
}

/// Countries, area codes, localities, offerings and the deterministic numbers the sandbox inventory hands out.
///
/// Only North American Numbering Plan countries (US, CA) are offered: their numbering rules are simple enough to
/// generate numbers that are valid, never fictional (555) and never the `…0000` numbers this sandbox reserves for
/// delivery failures. Everything here is pure data and pure functions, so it is safe from any isolation domain.
public enum SandboxCatalog {
    /// A country the sandbox sells numbers in.
    public struct Country: Sendable, Equatable {
        /// ISO 3166-1 alpha-2 code, upper case ("US").
        public let code: String
        /// English name ("United States").
        public let name: String
        /// ITU calling code without "+" ("1").
        public let callingCode: String
        /// Number types on offer, in `PhoneNumberType.allCases` order.
        public let types: [PhoneNumberType]
    }

    /// A state, province or territory ("administrative division" in ACS).
    public struct Division: Sendable, Equatable {
        /// Full name ("Washington").
        public let name: String
        /// Postal abbreviation ("WA").
        public let abbreviation: String
    }

    /// An area code (NPA) of a country and number type.
    public struct AreaCode: Sendable, Equatable {
        /// Three digits ("206", "800").
        public let code: String
        /// The number type the code is sold for.
        public let type: PhoneNumberType
        /// Principal city for geographic codes ("Seattle"); nil for toll-free.
        public let locality: String?
        /// State or province for geographic codes; nil for toll-free.
        public let division: Division?
    }

    /// A plan: what a number of a type and assignment costs and can do.
    public struct Offering: Sendable, Equatable {
        /// The number type.
        public let type: PhoneNumberType
        /// "application" or "person".
        public let assignmentType: String
        /// Strongest calling capability offered ("inbound+outbound").
        public let calling: String
        /// Strongest SMS capability offered ("inbound+outbound").
        public let sms: String
        /// Monthly rate.
        public let monthlyCost: Decimal
        /// ISO 4217 currency of `monthlyCost`.
        public let currency: String
    }

    /// The countries on offer, sorted by code.
    public static let countries: [Country] = [
        Country(code: "CA", name: "Canada", callingCode: "1", types: [.geographic, .tollFree]),
        Country(code: "US", name: "United States", callingCode: "1", types: [.geographic, .tollFree]),
    ]

    /// The country with an ISO code, compared case-insensitively; nil when not on offer.
    public static func country(_ code: String) -> Country? {
        let wanted = code.trimmingCharacters(in: .whitespaces).uppercased()
        return countries.first { $0.code == wanted }
    }

    /// Area codes of a country and type, sorted by code and distinct.
    ///
    /// `locality` and `division` narrow geographic codes (case- and diacritic-insensitive; `division` matches a name
    /// or an abbreviation); blank filters are ignored. Toll-free codes have no locality, so any filter excludes them.
    /// When several localities share a code (overlays, 902 for NS and PE), the entry returned is the first that
    /// matches the filters.
    public static func areaCodes(
        country: String, type: PhoneNumberType, locality: String? = nil, division: String? = nil
    ) -> [AreaCode] {
        guard let country = self.country(country), country.types.contains(type) else { return [] }
        let locality = nonBlank(locality), division = nonBlank(division)
        switch type {
        case .geographic:
            var seen = Set<String>()
            return (geographicEntries[country.code] ?? [])
                .filter { entry in
                    (locality.map { same($0, entry.locality) } ?? true) && (division.map { matches($0, entry.division) } ?? true)
                }
                .filter { seen.insert($0.code).inserted }
                .sorted { $0.code < $1.code }
        case .tollFree:
            guard locality == nil, division == nil else { return [] }
            return tollFreeCodes.map { AreaCode(code: $0, type: .tollFree, locality: nil, division: nil) }
        case .mobile:
            return []
        }
    }

    /// Distinct localities of a country's geographic codes with their divisions, sorted by locality then division;
    /// `division` (name or abbreviation, case-insensitive) narrows them.
    public static func localities(country: String, division: String? = nil) -> [(locality: String, division: Division)] {
        guard let country = self.country(country) else { return [] }
        let division = nonBlank(division)
        var seen = Set<String>()
        var result: [(locality: String, division: Division)] = []
        for entry in geographicEntries[country.code] ?? [] {
            guard let locality = entry.locality, let place = entry.division else { continue }
            guard division.map({ matches($0, place) }) ?? true, seen.insert(locality + "|" + place.abbreviation).inserted else { continue }
            result.append((locality, place))
        }
        return result.sorted { ($0.locality, $0.division.abbreviation) < ($1.locality, $1.division.abbreviation) }
    }

    /// Offerings of a country, optionally narrowed by type and (case-insensitive) assignment type; in type order,
    /// "application" before "person".
    public static func offerings(country: String, type: PhoneNumberType? = nil, assignmentType: String? = nil) -> [Offering] {
        guard let country = self.country(country) else { return [] }
        let assignment = nonBlank(assignmentType)
        return country.types.filter { type == nil || $0 == type }.flatMap { type in
            // ACS lets people hold geographic numbers; toll-free lines are for applications only.
            let assignments = type == .geographic ? ["application", "person"] : ["application"]
            let cents = monthlyCents[country.code]?[type] ?? 100
            return assignments.filter { name in assignment.map { same($0, name) } ?? true }.map {
                Offering(
                    type: type, assignmentType: $0, calling: "inbound+outbound", sms: "inbound+outbound",
                    monthlyCost: Decimal(cents) / 100, currency: "USD")
            }
        }
    }

    /// Candidate numbers in E.164 ("+12062345678"), in a fixed order for the given arguments: the same arguments
    /// always give the same sequence, in any process.
    ///
    /// Every candidate is a valid NANP number (NPA-NXX-XXXX, N = 2–9) whose exchange is not N11, 555, 950, 958, 959
    /// or 976 and whose line is not 0000 (numbers ending in 0000 are the sandbox's delivery-failure numbers, so they
    /// are never handed out). `areaCode` nil means any of the type's area codes, interleaved in a fixed shuffled
    /// order; an area code the catalog does not offer gives nothing. `prefixes` (browse) keeps numbers whose E.164
    /// digits after "+" or whose national significant number start with one of them ("+1206", "1206", "206555");
    /// spaces, dashes, dots and parentheses are ignored, and a prefix with other characters matches nothing. The
    /// sequence is lazy and long (about 7.9 million numbers per area code without prefixes): callers skip numbers
    /// already taken and stop at the quantity they need.
    public static func candidates(
        country: String, type: PhoneNumberType, areaCode: String? = nil, prefixes: [String] = []
    ) -> AnySequence<String> {
        guard let country = self.country(country) else { return AnySequence([]) }
        var codes = areaCodes(country: country.code, type: type).map(\.code)
        if let wanted = nonBlank(areaCode) {
            codes = codes.filter { $0 == wanted }
        } else {
            // Fisher–Yates with a stable seed: interleaving in numeric order would always start at 201.
            var state = fnv1a("\(country.code)|\(type.rawValue)")
            for index in stride(from: codes.count - 1, to: 0, by: -1) {
                state = splitMix(state)
                codes.swapAt(index, Int(state % UInt64(index + 1)))
            }
        }
        let national = nationalPrefixes(prefixes, callingCode: country.callingCode)
        let streams = codes.compactMap { code -> NumberStream? in
            let blocks = national.compactMap { block(callingCode: country.callingCode, areaCode: code, prefix: $0) }
            // The seed ignores the prefixes, so an area code's numbers come in the same order however it is asked for.
            return NumberStream(blocks: blocks, seed: fnv1a("\(country.code)|\(type.rawValue)|\(code)"))
        }
        return AnySequence(Interleaving(streams: streams))
    }

    /// What the catalog knows of a number (for operator information): its country, type and formats.
    ///
    /// Accepts strict E.164 NANP numbers ("+1" and ten digits, area code and exchange starting 2–9, area code not
    /// N11). Toll-free codes are placed in the US; Canadian and other NANP members' codes in their country; any other
    /// +1 code in the US. `type` is nil when the catalog does not sell the area code. Other input gives nil.
    public static func describe(_ e164: String) -> (country: String, type: PhoneNumberType?, national: String, international: String)? {
        let bytes = Array(e164.utf8)
        guard bytes.count == 12, bytes[0] == UInt8(ascii: "+"), bytes[1] == UInt8(ascii: "1"),
            bytes.dropFirst().allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            bytes[2] >= UInt8(ascii: "2"), bytes[5] >= UInt8(ascii: "2"),
            !(bytes[3] == UInt8(ascii: "1") && bytes[4] == UInt8(ascii: "1"))
        else { return nil }
        let digits = String(e164.dropFirst(2))
        let npa = String(digits.prefix(3)), nxx = String(digits.dropFirst(3).prefix(3)), line = String(digits.suffix(4))
        let national = "(\(npa)) \(nxx)-\(line)", international = "+1 \(npa)-\(nxx)-\(line)"
        if tollFreeCodes.contains(npa) { return ("US", .tollFree, national, international) }
        for country in countries where geographicCodes[country.code]?.contains(npa) == true {
            return (country.code, .geographic, national, international)
        }
        let country = canadianCodes.contains(npa) ? "CA" : otherNANPCountries[npa] ?? "US"
        return (country, nil, national, international)
    }

    // MARK: - Number generation

    /// Exchange codes (NXX) the sandbox hands out: N11 are service codes, 555 is the fictional/directory range,
    /// 950/958/959 are carrier-access and test codes, and 976 is the premium information range.
    private static let validExchanges: [Int] = (200...999).filter { $0 % 100 != 11 && ![555, 950, 958, 959, 976].contains($0) }

    /// A rectangle of numbers: every exchange of `exchanges` with every line of `lines`.
    private struct Block: Sendable {
        let leading: String  // "+1206"
        let exchanges: [Int]
        let lines: Range<Int>
        var count: Int { exchanges.count * lines.count }
    }

    /// The numbers of one area code starting with one national prefix; nil when there are none.
    private static func block(callingCode: String, areaCode: String, prefix: String) -> Block? {
        let all = 1..<10_000  // line 0000 is never handed out
        if prefix.count <= areaCode.count {
            return areaCode.hasPrefix(prefix) ? Block(leading: "+" + callingCode + areaCode, exchanges: validExchanges, lines: all) : nil
        }
        guard prefix.count <= 10, prefix.hasPrefix(areaCode) else { return nil }
        let rest = prefix.dropFirst(areaCode.count)
        let exchangePrefix = String(rest.prefix(3)), linePrefix = String(rest.dropFirst(3))
        let exchanges = validExchanges.filter { padded($0, width: 3).hasPrefix(exchangePrefix) }
        var lines = all
        if let head = Int(linePrefix) {
            let width = [1, 10, 100, 1000, 10_000][4 - linePrefix.count]
            lines = max(head * width, 1)..<(head * width + width)
        }
        guard !exchanges.isEmpty, !lines.isEmpty else { return nil }
        return Block(leading: "+" + callingCode + areaCode, exchanges: exchanges, lines: lines)
    }

    /// Browse prefixes as national-significant-number prefixes that name disjoint sets of numbers.
    private static func nationalPrefixes(_ prefixes: [String], callingCode: String) -> [String] {
        guard !prefixes.isEmpty else { return [""] }
        var found = Set<String>()
        for raw in prefixes {
            var text = raw.filter { !($0.isWhitespace || "-().".contains($0)) }
            let international = text.hasPrefix("+")
            if international { text.removeFirst() }
            guard text.allSatisfy({ ("0"..."9").contains($0) }) else { continue }
            // Without "+" a prefix may be either form; NANP national numbers never start with 1, so both are tried.
            if !international { found.insert(text) }
            if text.hasPrefix(callingCode) {
                found.insert(String(text.dropFirst(callingCode.count)))
            } else if callingCode.hasPrefix(text) {
                found.insert("")
            }
        }
        // A prefix that extends another names a subset of it: dropping it keeps each number in one block only.
        return found.sorted().filter { candidate in !found.contains { $0 != candidate && candidate.hasPrefix($0) } }
    }

    /// One area code's numbers in a keyed pseudo-random order.
    private struct NumberStream {
        let blocks: [Block]
        let total: Int
        let permutation: Permutation
        var position = 0

        init?(blocks: [Block], seed: UInt64) {
            total = blocks.reduce(0) { $0 + $1.count }
            guard total > 0 else { return nil }
            self.blocks = blocks
            permutation = Permutation(size: UInt64(total), seed: seed)
        }

        mutating func next() -> String? {
            guard position < total else { return nil }
            var index = Int(permutation.apply(UInt64(position)))
            position += 1
            var which = 0
            while index >= blocks[which].count {
                index -= blocks[which].count
                which += 1
            }
            let block = blocks[which]
            let exchange = block.exchanges[index / block.lines.count]
            let line = block.lines.lowerBound + index % block.lines.count
            return block.leading + padded(exchange, width: 3) + padded(line, width: 4)
        }
    }

    /// Round-robin over the area codes' streams, dropping each as it runs dry.
    private struct Interleaving: Sequence, IteratorProtocol {
        var streams: [NumberStream]
        var cursor = 0

        mutating func next() -> String? {
            while !streams.isEmpty {
                if cursor >= streams.count { cursor = 0 }
                if let number = streams[cursor].next() {
                    cursor += 1
                    return number
                }
                streams.remove(at: cursor)
            }
            return nil
        }
    }

    /// A keyed bijection of 0..<size: a four-round Feistel network on the smallest even bit width that holds
    /// `size`, cycle-walked back into range. Each position maps to a distinct index, so a stream never repeats.
    private struct Permutation {
        let size: UInt64
        let halfBits: UInt64
        let seed: UInt64

        init(size: UInt64, seed: UInt64) {
            let bits = max(2, UInt64(64 - (size - 1).leadingZeroBitCount))
            self.size = size
            self.halfBits = (bits + 1) / 2
            self.seed = seed
        }

        func apply(_ index: UInt64) -> UInt64 {
            var value = index
            repeat { value = encrypt(value) } while value >= size
            return value
        }

        private func encrypt(_ value: UInt64) -> UInt64 {
            let mask: UInt64 = (1 << halfBits) - 1
            var left = value >> halfBits, right = value & mask
            for round: UInt64 in 0..<4 {
                let scrambled = splitMix(seed ^ (round &* 0x9E37_79B9_7F4A_7C15) ^ right) & mask
                (left, right) = (right, left ^ scrambled)
            }
            return (left << halfBits) | right
        }
    }

    // MARK: - Helpers

    /// FNV-1a (64-bit): a stable hash, unlike `Hasher`, which is seeded per process.
    private static func fnv1a(_ text: String) -> UInt64 {
        text.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01B3 }
    }

    /// SplitMix64's finaliser: a fast, well-mixed bijection of 64-bit values.
    private static func splitMix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private static func padded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private static func nonBlank(_ text: String?) -> String? {
        guard let trimmed = text?.trimmingCharacters(in: .whitespaces), !trimmed.isEmpty else { return nil }
        return trimmed
    }

    private static func same(_ lhs: String, _ rhs: String?) -> Bool {
        guard let rhs else { return false }
        return lhs.compare(rhs, options: [.caseInsensitive, .diacriticInsensitive]) == .orderedSame
    }

    private static func matches(_ filter: String, _ division: Division?) -> Bool {
        guard let division else { return false }
        return same(filter, division.name) || same(filter, division.abbreviation)
    }

    // MARK: - Data

    /// Monthly rates in US cents, in line with ACS list prices for North America.
    private static let monthlyCents: [String: [PhoneNumberType: Int]] = [
        "US": [.geographic: 100, .tollFree: 200],
        "CA": [.geographic: 100, .tollFree: 200],
    ]

    /// NANP toll-free codes in service (822 and the other 8XX codes are reserved, not yet opened).
    private static let tollFreeCodes = ["800", "833", "844", "855", "866", "877", "888"]

    private static let geographicEntries: [String: [AreaCode]] = [
        "US": entries(usGeographic, divisions: usStates),
        "CA": entries(caGeographic, divisions: caProvinces),
    ]

    private static let geographicCodes: [String: Set<String>] = geographicEntries.mapValues { Set($0.map(\.code)) }

    private static func entries(_ table: [(String, String, String)], divisions: [String: String]) -> [AreaCode] {
        table.map { code, locality, abbreviation in
            AreaCode(
                code: code, type: .geographic, locality: locality,
                division: Division(name: divisions[abbreviation] ?? abbreviation, abbreviation: abbreviation))
        }
    }

    /// Real US area codes with their principal city (overlays share their parent's city), every state and DC.
    private static let usGeographic: [(String, String, String)] = [
        ("201", "Jersey City", "NJ"), ("202", "Washington", "DC"), ("203", "New Haven", "CT"), ("205", "Birmingham", "AL"),
        ("206", "Seattle", "WA"), ("207", "Portland", "ME"), ("208", "Boise", "ID"), ("210", "San Antonio", "TX"),
        ("212", "New York", "NY"), ("213", "Los Angeles", "CA"), ("214", "Dallas", "TX"), ("215", "Philadelphia", "PA"),
        ("216", "Cleveland", "OH"), ("217", "Springfield", "IL"), ("218", "Duluth", "MN"), ("225", "Baton Rouge", "LA"),
        ("251", "Mobile", "AL"), ("253", "Tacoma", "WA"), ("267", "Philadelphia", "PA"), ("281", "Houston", "TX"),
        ("302", "Wilmington", "DE"), ("303", "Denver", "CO"), ("304", "Charleston", "WV"), ("305", "Miami", "FL"),
        ("307", "Cheyenne", "WY"), ("312", "Chicago", "IL"), ("313", "Detroit", "MI"), ("314", "St. Louis", "MO"),
        ("316", "Wichita", "KS"), ("317", "Indianapolis", "IN"), ("319", "Cedar Rapids", "IA"), ("323", "Los Angeles", "CA"),
        ("334", "Montgomery", "AL"), ("385", "Salt Lake City", "UT"), ("401", "Providence", "RI"), ("402", "Omaha", "NE"),
        ("404", "Atlanta", "GA"), ("405", "Oklahoma City", "OK"), ("406", "Billings", "MT"), ("407", "Orlando", "FL"),
        ("408", "San Jose", "CA"), ("410", "Baltimore", "MD"), ("412", "Pittsburgh", "PA"), ("413", "Springfield", "MA"),
        ("414", "Milwaukee", "WI"), ("415", "San Francisco", "CA"), ("425", "Bellevue", "WA"), ("469", "Dallas", "TX"),
        ("480", "Mesa", "AZ"), ("501", "Little Rock", "AR"), ("502", "Louisville", "KY"), ("503", "Portland", "OR"),
        ("504", "New Orleans", "LA"), ("505", "Albuquerque", "NM"), ("509", "Spokane", "WA"), ("510", "Oakland", "CA"),
        ("512", "Austin", "TX"), ("513", "Cincinnati", "OH"), ("515", "Des Moines", "IA"), ("517", "Lansing", "MI"),
        ("518", "Albany", "NY"), ("520", "Tucson", "AZ"), ("531", "Omaha", "NE"), ("541", "Eugene", "OR"),
        ("559", "Fresno", "CA"), ("561", "West Palm Beach", "FL"), ("571", "Arlington", "VA"), ("601", "Jackson", "MS"),
        ("602", "Phoenix", "AZ"), ("603", "Manchester", "NH"), ("605", "Sioux Falls", "SD"), ("608", "Madison", "WI"),
        ("612", "Minneapolis", "MN"), ("614", "Columbus", "OH"), ("615", "Nashville", "TN"), ("616", "Grand Rapids", "MI"),
        ("617", "Boston", "MA"), ("619", "San Diego", "CA"), ("628", "San Francisco", "CA"), ("629", "Nashville", "TN"),
        ("646", "New York", "NY"), ("651", "Saint Paul", "MN"), ("669", "San Jose", "CA"), ("678", "Atlanta", "GA"),
        ("701", "Fargo", "ND"), ("702", "Las Vegas", "NV"), ("703", "Arlington", "VA"), ("704", "Charlotte", "NC"),
        ("713", "Houston", "TX"), ("714", "Anaheim", "CA"), ("716", "Buffalo", "NY"), ("717", "Harrisburg", "PA"),
        ("718", "New York", "NY"), ("719", "Colorado Springs", "CO"), ("720", "Denver", "CO"), ("725", "Las Vegas", "NV"),
        ("737", "Austin", "TX"), ("757", "Norfolk", "VA"), ("773", "Chicago", "IL"), ("775", "Reno", "NV"),
        ("786", "Miami", "FL"), ("801", "Salt Lake City", "UT"), ("802", "Burlington", "VT"), ("803", "Columbia", "SC"),
        ("804", "Richmond", "VA"), ("806", "Lubbock", "TX"), ("808", "Honolulu", "HI"), ("813", "Tampa", "FL"),
        ("816", "Kansas City", "MO"), ("817", "Fort Worth", "TX"), ("832", "Houston", "TX"), ("843", "Charleston", "SC"),
        ("850", "Tallahassee", "FL"), ("857", "Boston", "MA"), ("859", "Lexington", "KY"), ("860", "Hartford", "CT"),
        ("865", "Knoxville", "TN"), ("872", "Chicago", "IL"), ("901", "Memphis", "TN"), ("904", "Jacksonville", "FL"),
        ("907", "Anchorage", "AK"), ("912", "Savannah", "GA"), ("915", "El Paso", "TX"), ("916", "Sacramento", "CA"),
        ("917", "New York", "NY"), ("918", "Tulsa", "OK"), ("919", "Raleigh", "NC"), ("954", "Fort Lauderdale", "FL"),
        ("971", "Portland", "OR"), ("972", "Dallas", "TX"), ("973", "Newark", "NJ"), ("978", "Lowell", "MA"),
        ("980", "Charlotte", "NC"), ("984", "Raleigh", "NC"),
    ]

    /// Real Canadian area codes with their principal city; where several places share a code (867 spans the three
    /// territories, 902 Nova Scotia and PEI) the first entry is the code's principal city.
    private static let caGeographic: [(String, String, String)] = [
        ("204", "Winnipeg", "MB"), ("226", "London", "ON"), ("236", "Vancouver", "BC"), ("249", "Sudbury", "ON"),
        ("250", "Victoria", "BC"), ("289", "Hamilton", "ON"), ("306", "Saskatoon", "SK"), ("306", "Regina", "SK"),
        ("343", "Ottawa", "ON"), ("365", "Hamilton", "ON"), ("403", "Calgary", "AB"), ("416", "Toronto", "ON"),
        ("418", "Quebec City", "QC"), ("431", "Winnipeg", "MB"), ("437", "Toronto", "ON"), ("438", "Montreal", "QC"),
        ("450", "Laval", "QC"), ("506", "Moncton", "NB"), ("506", "Fredericton", "NB"), ("514", "Montreal", "QC"),
        ("519", "London", "ON"), ("548", "London", "ON"), ("581", "Quebec City", "QC"), ("604", "Vancouver", "BC"),
        ("613", "Ottawa", "ON"), ("639", "Saskatoon", "SK"), ("647", "Toronto", "ON"), ("705", "Sudbury", "ON"),
        ("709", "St. John's", "NL"), ("778", "Vancouver", "BC"), ("780", "Edmonton", "AB"), ("782", "Halifax", "NS"),
        ("807", "Thunder Bay", "ON"), ("819", "Gatineau", "QC"), ("867", "Whitehorse", "YT"), ("867", "Yellowknife", "NT"),
        ("867", "Iqaluit", "NU"), ("873", "Gatineau", "QC"), ("902", "Halifax", "NS"), ("902", "Charlottetown", "PE"),
        ("905", "Mississauga", "ON"),
    ]

    private static let usStates: [String: String] = [
        "AK": "Alaska", "AL": "Alabama", "AR": "Arkansas", "AZ": "Arizona", "CA": "California", "CO": "Colorado",
        "CT": "Connecticut", "DC": "District of Columbia", "DE": "Delaware", "FL": "Florida", "GA": "Georgia", "HI": "Hawaii",
        "IA": "Iowa", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
        "MA": "Massachusetts", "MD": "Maryland", "ME": "Maine", "MI": "Michigan", "MN": "Minnesota", "MO": "Missouri",
        "MS": "Mississippi", "MT": "Montana", "NC": "North Carolina", "ND": "North Dakota", "NE": "Nebraska",
        "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NV": "Nevada", "NY": "New York", "OH": "Ohio",
        "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
        "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VA": "Virginia", "VT": "Vermont",
        "WA": "Washington", "WI": "Wisconsin", "WV": "West Virginia", "WY": "Wyoming",
    ]

    private static let caProvinces: [String: String] = [
        "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick", "NL": "Newfoundland and Labrador",
        "NS": "Nova Scotia", "NT": "Northwest Territories", "NU": "Nunavut", "ON": "Ontario", "PE": "Prince Edward Island",
        "QC": "Quebec", "SK": "Saskatchewan", "YT": "Yukon",
    ]

    /// Every Canadian NANP code, sold or not (including 600, Canada's non-geographic code), so `describe` places
    /// Canadian numbers the sandbox does not sell in Canada rather than the US.
    private static let canadianCodes: Set<String> = [
        "204", "226", "236", "249", "250", "257", "263", "289", "306", "343", "354", "365", "367", "368", "382", "403",
        "416", "418", "428", "431", "437", "438", "450", "468", "474", "506", "514", "519", "548", "579", "581", "584",
        "587", "600", "604", "613", "639", "647", "672", "683", "705", "709", "742", "753", "778", "780", "782", "807",
        "819", "825", "867", "873", "879", "902", "905", "942",
    ]

    /// NANP members other than the US and Canada (and US territories with their own ISO codes), by area code.
    private static let otherNANPCountries: [String: String] = [
        "242": "BS", "246": "BB", "264": "AI", "268": "AG", "284": "VG", "340": "VI", "345": "KY", "441": "BM",
        "473": "GD", "649": "TC", "658": "JM", "664": "MS", "670": "MP", "671": "GU", "684": "AS", "721": "SX",
        "758": "LC", "767": "DM", "784": "VC", "787": "PR", "809": "DO", "829": "DO", "849": "DO", "868": "TT",
        "869": "KN", "876": "JM", "939": "PR",
    ]
}
