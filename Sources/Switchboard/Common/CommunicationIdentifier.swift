/// Who takes part in a conversation, as the ACS wire model names it (`CommunicationIdentifierModel`).
///
/// Requests may carry only `rawId`, only a sub-object (the Python chat SDK sends `rawId` plus the sub-object and
/// no `kind`), or both; responses always carry `kind`, `rawId` and the sub-object.
public struct CommunicationIdentifierModel: Codable, Sendable, Hashable {
    public struct CommunicationUser: Codable, Sendable, Hashable { public var id: String }
    public struct PhoneNumber: Codable, Sendable, Hashable { public var value: String }
    public struct MicrosoftTeamsUser: Codable, Sendable, Hashable {
        public var userId: String
        public var isAnonymous: Bool?
        public var cloud: String?
    }
    public struct MicrosoftTeamsApp: Codable, Sendable, Hashable {
        public var appId: String
        public var cloud: String?
    }

    public var kind: String?
    public var rawId: String?
    public var communicationUser: CommunicationUser?
    public var phoneNumber: PhoneNumber?
    public var microsoftTeamsUser: MicrosoftTeamsUser?
    public var microsoftTeamsApp: MicrosoftTeamsApp?

    public init(
        kind: String? = nil, rawId: String? = nil, communicationUser: CommunicationUser? = nil,
        phoneNumber: PhoneNumber? = nil, microsoftTeamsUser: MicrosoftTeamsUser? = nil,
        microsoftTeamsApp: MicrosoftTeamsApp? = nil
    ) {
        self.kind = kind
        self.rawId = rawId
        self.communicationUser = communicationUser
        self.phoneNumber = phoneNumber
        self.microsoftTeamsUser = microsoftTeamsUser
        self.microsoftTeamsApp = microsoftTeamsApp
    }

    /// The raw id this model names, from `rawId` or else from its sub-object; `nil` if it names nothing.
    public var resolvedRawID: String? {
        if let rawId, !rawId.isEmpty { return rawId }
        if let id = communicationUser?.id, !id.isEmpty { return id }
        if let value = phoneNumber?.value, !value.isEmpty { return "4:" + value }
        if let user = microsoftTeamsUser {
            if user.isAnonymous == true { return "8:teamsvisitor:\(user.userId)" }
            switch user.cloud {
            case "dod": return "8:dod:\(user.userId)"
            case "gcch": return "8:gcch:\(user.userId)"
            default: return "8:orgid:\(user.userId)"
            }
        }
        if let app = microsoftTeamsApp {
            switch app.cloud {
            case "dod": return "28:dod:\(app.appId)"
            case "gcch": return "28:gcch:\(app.appId)"
            default: return "28:orgid:\(app.appId)"
            }
        }
        return nil
    }

    /// The response form of a raw id: kind, raw id and the matching sub-object.
    public init(rawID: String) {
        self.rawId = rawID
        if rawID.hasPrefix("8:acs:") || rawID.hasPrefix("8:spool:") || rawID.hasPrefix("8:dod-acs:")
            || rawID.hasPrefix("8:gcch-acs:")
        {
            kind = "communicationUser"
            communicationUser = CommunicationUser(id: rawID)
        } else if rawID.hasPrefix("4:") {
            kind = "phoneNumber"
            phoneNumber = PhoneNumber(value: String(rawID.dropFirst(2)))
        } else if rawID.hasPrefix("8:orgid:") {
            kind = "microsoftTeamsUser"
            microsoftTeamsUser = MicrosoftTeamsUser(userId: String(rawID.dropFirst(8)), isAnonymous: false, cloud: "public")
        } else if rawID.hasPrefix("8:teamsvisitor:") {
            kind = "microsoftTeamsUser"
            microsoftTeamsUser = MicrosoftTeamsUser(userId: String(rawID.dropFirst(15)), isAnonymous: true, cloud: "public")
        } else if rawID.hasPrefix("28:orgid:") {
            kind = "microsoftTeamsApp"
            microsoftTeamsApp = MicrosoftTeamsApp(appId: String(rawID.dropFirst(9)), cloud: "public")
        } else {
            kind = "unknown"
        }
    }
}
