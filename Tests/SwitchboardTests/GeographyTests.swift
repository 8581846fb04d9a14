import Foundation
import Testing

@testable import Switchboard

@Suite struct GeographyTests {
    static let seedNames = [
        "Africa", "Asia Pacific", "Australia", "Brazil", "Canada", "Europe", "France", "Germany", "India", "Japan",
        "Korea", "Norway", "Switzerland", "United Arab Emirates", "United Kingdom", "United States",
    ]

    @Test func theSixteenGeographiesOfTheResidencyDocumentExist() {
        #expect(Geography.allCases.map(\.displayName) == Self.seedNames)
    }

    @Test(arguments: seedNames)
    func geographiesParseAsWrittenCompactAndInAnyCase(name: String) throws {
        let compact = name.lowercased().replacingOccurrences(of: " ", with: "")
        let geography = try Geography(parsing: name)
        #expect(geography.displayName == name)
        #expect(try Geography(parsing: compact) == geography)
        #expect(try Geography(parsing: name.uppercased()) == geography)
    }

    @Test(arguments: ["westeurope", "Atlantis", "", "us", "united-states-of-america"])
    func otherNamesAreRefusedWithTheListOfGeographies(name: String) {
        #expect {
            try Geography(parsing: name)
        } throws: { error in
            let message = "\(error)"
            return message.contains("United Arab Emirates (unitedarabemirates)") && message.contains("'\(name)'")
        }
    }

    @Test func advancedMessagingIsOfferedInFiveGeographiesOnly() {
        #expect(Set(Geography.allCases.filter(\.supportsAdvancedMessaging)) == [.asiaPacific, .australia, .europe, .unitedKingdom, .unitedStates])
    }
}
