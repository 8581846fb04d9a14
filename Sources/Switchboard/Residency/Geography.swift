/// A data location a resource is created in. Everything the resource keeps at rest lives in the store of
/// its geography and nowhere else.
///
/// The list is exactly the one of the data-residency document Switchboard implements (`seeds/000_…`).
public enum Geography: String, CaseIterable, Sendable, Codable {
    case africa
    case asiaPacific = "asiapacific"
    case australia
    case brazil
    case canada
    case europe
    case france
    case germany
    case india
    case japan
    case korea
    case norway
    case switzerland
    case unitedArabEmirates = "unitedarabemirates"
    case unitedKingdom = "unitedkingdom"
    case unitedStates = "unitedstates"

    /// The name as the residency document writes it, e.g. `United Kingdom`.
    public var displayName: String {
        switch self {
        case .africa: "Africa"
        case .asiaPacific: "Asia Pacific"
        case .australia: "Australia"
        case .brazil: "Brazil"
        case .canada: "Canada"
        case .europe: "Europe"
        case .france: "France"
        case .germany: "Germany"
        case .india: "India"
        case .japan: "Japan"
        case .korea: "Korea"
        case .norway: "Norway"
        case .switzerland: "Switzerland"
        case .unitedArabEmirates: "United Arab Emirates"
        case .unitedKingdom: "United Kingdom"
        case .unitedStates: "United States"
        }
    }

    /// The compact, lower-case form used in configuration, file names and token claims, e.g. `unitedkingdom`.
    public var compactName: String { rawValue }

    /// Advanced Messaging (WhatsApp) is offered only in these geographies.
    public var supportsAdvancedMessaging: Bool {
        switch self {
        case .asiaPacific, .australia, .europe, .unitedKingdom, .unitedStates: true
        default: false
        }
    }

    /// Parses a geography written as the residency document does (`"United Kingdom"`) or compact
    /// (`unitedkingdom`), in any case.
    public init(parsing text: String) throws(GeographyError) {
        let compact = String(text.lowercased().filter { !$0.isWhitespace })
        guard let geography = Geography(rawValue: compact) else {
            throw GeographyError(input: text)
        }
        self = geography
    }
}

/// A geography name that is not one of the sixteen.
public struct GeographyError: Error, CustomStringConvertible, Sendable {
    public let input: String

    public var description: String {
        let names = Geography.allCases.map { "\($0.displayName) (\($0.compactName))" }.joined(separator: ", ")
        return "'\(input)' is not a geography. Choose one of: \(names)."
    }
}
