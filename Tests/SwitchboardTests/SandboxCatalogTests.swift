import Foundation
import Testing

@testable import Switchboard

@Suite struct SandboxCatalogTests {
    /// NANP validity as the sandbox promises it: NPA-NXX-XXXX with N = 2–9, an exchange that is not N11, 555, 950,
    /// 958, 959 or 976, and a line that is not 0000.
    func isValidSandboxNumber(_ number: String) -> Bool {
        let bytes = Array(number.utf8)
        guard bytes.count == 12, number.hasPrefix("+1"), number.dropFirst().allSatisfy({ ("0"..."9").contains($0) }) else { return false }
        let digits = number.dropFirst(2).compactMap { Int(String($0)) }
        let npa = digits[0] * 100 + digits[1] * 10 + digits[2], nxx = digits[3] * 100 + digits[4] * 10 + digits[5]
        guard npa >= 200, npa % 100 != 11, nxx >= 200, nxx % 100 != 11 else { return false }
        return ![555, 950, 958, 959, 976].contains(nxx) && !number.hasSuffix("0000")
    }

    func first(_ count: Int, _ sequence: AnySequence<String>) -> [String] {
        Array(sequence.prefix(count))
    }

    @Test func everyGeneratedNumberIsValidNANPAndNeverEndsInFourZeros() {
        let samples = [
            first(20_000, SandboxCatalog.candidates(country: "US", type: .geographic)),
            first(5_000, SandboxCatalog.candidates(country: "CA", type: .geographic)),
            first(5_000, SandboxCatalog.candidates(country: "US", type: .tollFree)),
            first(5_000, SandboxCatalog.candidates(country: "us", type: .geographic, areaCode: "206")),
        ]
        for numbers in samples {
            #expect(!numbers.isEmpty)
            #expect(Set(numbers).count == numbers.count, "a sequence never repeats a number")
            for number in numbers {
                #expect(isValidSandboxNumber(number), "\(number)")
            }
        }
    }

    @Test func smallPrefixedRangesAreEnumeratedCompletelyWithoutTheFourZeroLine() {
        // 206-234-00xx holds 100 lines; 0000 is withheld, so exactly 99 distinct numbers come out.
        let hundred = Array(SandboxCatalog.candidates(country: "US", type: .geographic, prefixes: ["20623400"]))
        #expect(hundred.count == 99)
        #expect(Set(hundred) == Set((1..<100).map { "+120623400" + ($0 < 10 ? "0\($0)" : "\($0)") }))
        let nine = Array(SandboxCatalog.candidates(country: "US", type: .geographic, areaCode: "206", prefixes: ["+1 206 234 000"]))
        #expect(Set(nine) == Set((1...9).map { "+1206234000\($0)" }))
        #expect(Array(SandboxCatalog.candidates(country: "US", type: .geographic, prefixes: ["2062340000"])).isEmpty)
        #expect(Array(SandboxCatalog.candidates(country: "US", type: .geographic, prefixes: ["2062340001"])) == ["+12062340001"])
    }

    @Test func exchangesTheSandboxMustNotUseYieldNothingEvenWhenAskedFor() {
        for exchange in ["555", "911", "211", "950", "958", "959", "976"] {
            let numbers = first(10, SandboxCatalog.candidates(country: "US", type: .geographic, prefixes: ["206" + exchange]))
            #expect(numbers.isEmpty, "206-\(exchange)")
        }
    }

    @Test func theSameArgumentsGiveTheSameFirstFiftyCandidates() {
        let cases: [(String, PhoneNumberType, String?, [String])] = [
            ("US", .geographic, nil, []), ("US", .geographic, "206", []), ("CA", .geographic, "416", []),
            ("US", .tollFree, nil, []), ("US", .geographic, nil, ["+1415", "212"]),
        ]
        for (country, type, areaCode, prefixes) in cases {
            let once = first(50, SandboxCatalog.candidates(country: country, type: type, areaCode: areaCode, prefixes: prefixes))
            let again = first(50, SandboxCatalog.candidates(country: country, type: type, areaCode: areaCode, prefixes: prefixes))
            #expect(once.count == 50)
            #expect(once == again)
        }
        // Stable across processes too: Hasher would reshuffle these on every launch.
        let pinned = first(3, SandboxCatalog.candidates(country: "US", type: .geographic, areaCode: "206"))
        #expect(pinned == first(3, SandboxCatalog.candidates(country: "US", type: .geographic, areaCode: "206", prefixes: ["206"])))
    }

    @Test func candidatesForAnAreaCodeStayInThatAreaCodeAndAnyAreaCodeInterleavesThem() {
        for (country, type, code) in [
            ("US", PhoneNumberType.geographic, "206"), ("US", .geographic, "512"), ("CA", .geographic, "604"),
            ("CA", .tollFree, "888"), ("US", .tollFree, "800"),
        ] {
            let numbers = first(500, SandboxCatalog.candidates(country: country, type: type, areaCode: code))
            #expect(numbers.count == 500)
            #expect(numbers.allSatisfy { $0.hasPrefix("+1" + code) }, "\(country) \(code)")
        }
        // Each area code has its own order, not one pattern of local numbers behind every area code.
        let seattle = first(50, SandboxCatalog.candidates(country: "US", type: .geographic, areaCode: "206")).map { $0.dropFirst(5) }
        let manhattan = first(50, SandboxCatalog.candidates(country: "US", type: .geographic, areaCode: "212")).map { $0.dropFirst(5) }
        #expect(seattle != manhattan)
        let mixed = first(1_000, SandboxCatalog.candidates(country: "US", type: .geographic))
        let codes = Set(mixed.map { String($0.dropFirst(2).prefix(3)) })
        let offered = Set(SandboxCatalog.areaCodes(country: "US", type: .geographic).map(\.code))
        #expect(codes == offered, "1,000 interleaved numbers visit every offered area code")
        #expect(first(1, SandboxCatalog.candidates(country: "US", type: .geographic, areaCode: "999")).isEmpty)
        #expect(first(1, SandboxCatalog.candidates(country: "US", type: .geographic, areaCode: "800")).isEmpty)
    }

    @Test func anAreaCodeOffersThousandsOfDistinctNumbers() {
        let numbers = first(20_000, SandboxCatalog.candidates(country: "US", type: .geographic, areaCode: "617"))
        #expect(Set(numbers).count == 20_000)
        #expect(Set(numbers.map { $0.dropFirst(5).prefix(3) }).count > 500, "exchanges are spread, not filled in order")
    }

    @Test func prefixesRestrictCandidatesInEitherForm() {
        let narrow = first(200, SandboxCatalog.candidates(country: "US", type: .geographic, prefixes: ["206234"]))
        #expect(narrow.count == 200)
        #expect(narrow.allSatisfy { $0.hasPrefix("+1206234") })
        let two = first(400, SandboxCatalog.candidates(country: "US", type: .geographic, prefixes: ["+1415", "212"]))
        #expect(two.allSatisfy { $0.hasPrefix("+1415") || $0.hasPrefix("+1212") })
        #expect(two.contains { $0.hasPrefix("+1415") } && two.contains { $0.hasPrefix("+1212") })
        let e164Digits = first(100, SandboxCatalog.candidates(country: "US", type: .geographic, prefixes: ["1512"]))
        #expect(e164Digits.count == 100 && e164Digits.allSatisfy { $0.hasPrefix("+1512") })
        let overlapping = first(300, SandboxCatalog.candidates(country: "US", type: .geographic, areaCode: "206", prefixes: ["206", "2062"]))
        #expect(Set(overlapping).count == 300, "overlapping prefixes do not duplicate numbers")
        let tollFree = first(100, SandboxCatalog.candidates(country: "US", type: .tollFree, prefixes: ["8"]))
        #expect(tollFree.count == 100 && tollFree.allSatisfy { $0.hasPrefix("+18") })
        #expect(first(1, SandboxCatalog.candidates(country: "US", type: .geographic, prefixes: ["+44"])).isEmpty)
        #expect(first(1, SandboxCatalog.candidates(country: "US", type: .geographic, prefixes: ["20x"])).isEmpty)
        #expect(first(1, SandboxCatalog.candidates(country: "US", type: .geographic, areaCode: "206", prefixes: ["212"])).isEmpty)
        #expect(first(1, SandboxCatalog.candidates(country: "US", type: .geographic, prefixes: ["206234567890"])).isEmpty)
    }

    @Test func usGeographicAreaCodesInclude206InSeattleWashington() throws {
        let codes = SandboxCatalog.areaCodes(country: "US", type: .geographic)
        let seattle = try #require(codes.first { $0.code == "206" })
        #expect(seattle == .init(code: "206", type: .geographic, locality: "Seattle", division: .init(name: "Washington", abbreviation: "WA")))
        #expect(codes.map(\.code) == codes.map(\.code).sorted())
        #expect(Set(codes.map(\.code)).count == codes.count)
        for (code, city, state) in [
            ("212", "New York", "NY"), ("312", "Chicago", "IL"), ("415", "San Francisco", "CA"),
            ("512", "Austin", "TX"), ("617", "Boston", "MA"),
        ] {
            let entry = try #require(codes.first { $0.code == code })
            #expect(entry.locality == city && entry.division?.abbreviation == state)
        }
        let canada = SandboxCatalog.areaCodes(country: "ca", type: .geographic)
        for (code, city, province) in [
            ("416", "Toronto", "ON"), ("604", "Vancouver", "BC"), ("514", "Montreal", "QC"),
            ("403", "Calgary", "AB"), ("613", "Ottawa", "ON"),
        ] {
            let entry = try #require(canada.first { $0.code == code })
            #expect(entry.locality == city && entry.division?.abbreviation == province)
        }
        #expect(SandboxCatalog.areaCodes(country: "US", type: .geographic, locality: "seattle").map(\.code) == ["206"])
        #expect(SandboxCatalog.areaCodes(country: "US", type: .geographic, locality: "Portland").map(\.code) == ["207", "503", "971"])
        #expect(SandboxCatalog.areaCodes(country: "CA", type: .geographic, locality: "Montréal").map(\.code) == ["438", "514"])
    }

    @Test func catalogDataIsRealisticAndWellFormed() {
        let us = SandboxCatalog.areaCodes(country: "US", type: .geographic)
        let canada = SandboxCatalog.areaCodes(country: "CA", type: .geographic)
        #expect(us.count >= 60)
        #expect(canada.count >= 15)
        #expect(Set(us.compactMap(\.division?.abbreviation)).count == 51, "every state and DC")
        #expect(Set(us.map(\.code)).isDisjoint(with: canada.map(\.code)))
        for entry in us + canada {
            let digits = entry.code.compactMap { Int(String($0)) }
            #expect(digits.count == 3 && digits[0] >= 2 && !(digits[1] == 1 && digits[2] == 1), "\(entry.code)")
            #expect(entry.division.map { $0.name != $0.abbreviation } == true, "\(entry.code) has a named division")
            #expect(SandboxCatalog.describe("+1\(entry.code)2345678")?.type == .geographic)
        }
        #expect(SandboxCatalog.countries.map(\.code) == ["CA", "US"])
        #expect(SandboxCatalog.country("us")?.name == "United States")
        #expect(SandboxCatalog.country("CA")?.types == [.geographic, .tollFree])
    }

    @Test func localitiesFilterByDivisionNameOrAbbreviation() {
        let washington = SandboxCatalog.localities(country: "US", division: "WA")
        #expect(washington.map(\.locality) == ["Bellevue", "Seattle", "Spokane", "Tacoma"])
        #expect(washington.allSatisfy { $0.division == .init(name: "Washington", abbreviation: "WA") })
        #expect(SandboxCatalog.localities(country: "us", division: "washington").map(\.locality) == washington.map(\.locality))
        let ontario = SandboxCatalog.localities(country: "CA", division: "Ontario").map(\.locality)
        #expect(ontario.contains("Toronto") && ontario.contains("Ottawa"))
        let all = SandboxCatalog.localities(country: "US")
        #expect(all.map(\.locality) == all.map(\.locality).sorted())
        #expect(all.filter { $0.locality == "Portland" }.map(\.division.abbreviation) == ["ME", "OR"], "same city, two states")
        #expect(all.filter { $0.locality == "New York" }.count == 1, "distinct: overlays do not repeat a locality")
        let island = SandboxCatalog.areaCodes(country: "CA", type: .geographic, division: "PE")
        #expect(island.map(\.code) == ["902"] && island.first?.locality == "Charlottetown")
        #expect(SandboxCatalog.areaCodes(country: "CA", type: .geographic, division: "ns").map(\.code) == ["782", "902"])
        #expect(SandboxCatalog.areaCodes(country: "CA", type: .geographic).first { $0.code == "902" }?.locality == "Halifax")
        #expect(SandboxCatalog.localities(country: "US", division: "Atlantis").isEmpty)
    }

    @Test func tollFreeAreaCodesHaveNoLocality() {
        for country in ["US", "CA"] {
            let codes = SandboxCatalog.areaCodes(country: country, type: .tollFree)
            #expect(codes.map(\.code) == ["800", "833", "844", "855", "866", "877", "888"])
            #expect(codes.allSatisfy { $0.type == .tollFree && $0.locality == nil && $0.division == nil })
            #expect(SandboxCatalog.areaCodes(country: country, type: .tollFree, locality: "Seattle").isEmpty)
        }
    }

    @Test func offeringsPriceGeographicForApplicationsAndPeopleAndTollFreeForApplications() throws {
        let all = SandboxCatalog.offerings(country: "US")
        #expect(all.map { "\($0.type.rawValue)/\($0.assignmentType)" } == ["geographic/application", "geographic/person", "tollFree/application"])
        #expect(all.allSatisfy { $0.calling == "inbound+outbound" && $0.sms == "inbound+outbound" && $0.currency == "USD" })
        let geographic = try #require(SandboxCatalog.offerings(country: "US", type: .geographic, assignmentType: "Person").first)
        #expect(geographic.monthlyCost == Decimal(string: "1.00"))
        #expect(SandboxCatalog.offerings(country: "ca", type: .tollFree).map(\.monthlyCost) == [Decimal(2)])
        #expect(SandboxCatalog.offerings(country: "US", type: .tollFree, assignmentType: "person").isEmpty)
        #expect(SandboxCatalog.offerings(country: "US", type: .mobile).isEmpty)
    }

    @Test func describeFormatsAndClassifiesNumbers() throws {
        let seattle = try #require(SandboxCatalog.describe("+12065550123"))
        #expect(seattle.country == "US" && seattle.type == .geographic)
        #expect(seattle.national == "(206) 555-0123" && seattle.international == "+1 206-555-0123")
        let toronto = try #require(SandboxCatalog.describe("+14165550123"))
        #expect(toronto.country == "CA" && toronto.type == .geographic && toronto.national == "(416) 555-0123")
        let tollFree = try #require(SandboxCatalog.describe("+18885550100"))
        #expect(tollFree.country == "US" && tollFree.type == .tollFree && tollFree.international == "+1 888-555-0100")
        // Numbers the catalog does not sell are still placed by their area code.
        #expect(SandboxCatalog.describe("+19005550123").map { "\($0.country)/\(String(describing: $0.type))" } == "US/nil")
        #expect(SandboxCatalog.describe("+15875550123").map { "\($0.country)/\(String(describing: $0.type))" } == "CA/nil")
        #expect(SandboxCatalog.describe("+18765550123")?.country == "JM")
        for invalid in [
            "12065550123", "+1206555012", "+120655501234", "+11065550123", "+12061550123", "+12115550123", "+1206555012a",
            "+442079460123", "", "+1 206-555-0123",
        ] {
            #expect(SandboxCatalog.describe(invalid) == nil, "\(invalid)")
        }
        for number in first(200, SandboxCatalog.candidates(country: "CA", type: .geographic)) {
            #expect(SandboxCatalog.describe(number)?.country == "CA", "\(number)")
        }
    }

    @Test func unknownCountryOrUnofferedTypeGivesEmptyResults() {
        for country in ["ZZ", "GB", "", "USA"] {
            #expect(SandboxCatalog.country(country) == nil)
            #expect(SandboxCatalog.areaCodes(country: country, type: .geographic).isEmpty)
            #expect(SandboxCatalog.localities(country: country).isEmpty)
            #expect(SandboxCatalog.offerings(country: country).isEmpty)
            #expect(first(1, SandboxCatalog.candidates(country: country, type: .geographic)).isEmpty)
        }
        #expect(SandboxCatalog.areaCodes(country: "US", type: .mobile).isEmpty)
        #expect(first(1, SandboxCatalog.candidates(country: "US", type: .mobile)).isEmpty)
    }
}
