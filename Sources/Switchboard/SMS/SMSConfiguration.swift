/// The SMS capability's settings (`configuration.sms`).
public struct SMSConfiguration: Sendable {
    /// How long after accepting a message the sandbox reports its delivery.
    public var sandboxReceiptDelay: Duration = .seconds(1)
    /// How long a message waits for its carrier's receipt when the request names no `deliveryReportTimeoutInSeconds`;
    /// then it is reported failed (expired).
    public var defaultReportTimeout: Duration = .seconds(3600)

    public init() {}
}
