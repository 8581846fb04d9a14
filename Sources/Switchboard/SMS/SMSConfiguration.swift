/// The SMS capability's settings (`configuration.sms`).
public struct SMSConfiguration: Sendable {
    /// How long after accepting a message the sandbox reports its delivery.
    public var sandboxReceiptDelay: Duration = .seconds(1)
    /// How long a message waits for its carrier's receipt when the request names no `deliveryReportTimeoutInSeconds`;
    /// then it is reported failed (expired).
    public var defaultReportTimeout: Duration = .seconds(3600)
    /// SMPP carriers (`--sms-carrier NAME=smpp://…`); with none, every message goes to the sandbox.
    public var carriers: [SMPPCarrierConfiguration] = []
    /// Each sender's pace (`--sms-sender-rates`).
    public var pacing = SMSPacing()

    public init() {}
}
