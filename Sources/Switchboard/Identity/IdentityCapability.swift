/// Identities and their access tokens: the Identity API (`/identities`), and the identity's part in a person's
/// data (the identity itself).
public struct IdentityCapability: Capability {
    public static var storeMigrations: [Migration] { IdentitySchema.migrations }
    public static var resourceTables: [String] { IdentitySchema.tables }
    public static var personalData: [any PersonalDataContributor] { [IdentityPersonalData()] }

    public let service: IdentityService
    let api: IdentityAPI
    let accessKey: any Authenticator

    public init(platform: Platform) {
        service = IdentityService(
            changes: platform.changes, personalData: platform.personalData, invalidationListeners: [platform.realtime],
            clock: platform.clock)
        api = IdentityAPI(identities: service)
        accessKey = platform.accessKey
    }

    public var routes: [Route] { api.routes(accessKey: accessKey) }
}
