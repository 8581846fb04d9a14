/// The Events capability's settings (`configuration.events`): how webhooks are called.
public struct EventsConfiguration: Sendable {
    /// When webhook deliveries are retried (Event Grid's schedule by default).
    public var retrySchedule: RetrySchedule = .eventGrid
    /// How long a webhook endpoint has to answer.
    public var timeout: Duration = .seconds(30)
    /// Which addresses webhook endpoints may have.
    public var addresses = WebhookAddressPolicy()

    public init() {}
}
