import AsyncHTTPClient
import Logging

/// What the platform gives every capability: the runtime (directory, stores, resources), the clock, the one way to
/// change a resource's data (``Changes``), the event log, a person's data across capabilities, the policy gate, the authenticators
/// and an HTTP client for calls out. Built once by ``Assembly``, for the server and for the commands alike.
public struct Platform: Sendable {
    public let runtime: Runtime
    public var configuration: ServerConfiguration { runtime.configuration }
    public var clock: any WallClock { runtime.clock }
    public var logger: Logger { runtime.logger }
    public var resources: ResourceRegistry { runtime.resources }
    public let changes: Changes
    public let events: EventLog
    public let catalog: EventCatalog
    public let personalData: PersonalData
    /// Routes signed with a resource's access key.
    public let accessKey: AccessKeyAuthenticator
    /// Routes called with a user access token.
    public let userTokens: UserTokenAuthenticator
    /// Real-time sessions on this node (told when a user's tokens stop being valid).
    public let realtime: RealtimeHub
    /// Wakes this node's delivery workers.
    public let work: WorkSignal
    /// The operational log's writer for what happens outside a transaction (API operations).
    public let operationLog: OperationLog
    /// The messaging policy gate every channel passes its messages through before it queues them.
    public let policy: PolicyService
    /// The client for calls out to fixed services (carriers' HTTP APIs); shut down with the application.
    public let http: HTTPClient
    /// Clients for calls to addresses a resource's caller chose (webhooks), each connected to the address the
    /// webhook policy checked; shut down with the application.
    public let webhookConnections: WebhookConnections
}
