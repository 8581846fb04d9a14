/// The email capability's settings (`configuration.email`).
public struct EmailConfiguration: Sendable {
    /// Each resource's ready sandbox domain is `<resource>.<this>`; it needs no DNS and sends only to the sandbox.
    public var sandboxDomainSuffix = "sandbox.switchboard.test"
    /// The SPF mechanism a custom domain's record must contain for this server to send for it (`include:spf.relay.example`,
    /// `ip4:203.0.113.7`); by default `a:` and the public host name.
    public var spfMechanism: String?
    /// The DNS resolver domain verification and MX lookups ask (`--dns-resolver HOST:PORT`); the system's by default.
    public var dnsResolver: String?
    /// How long a message is retried after temporary failures (`4xx`) before it is reported failed.
    public var retryWindow: Duration = .seconds(48 * 3600)
    /// The largest send: content and attachments, decoded (ACS: 10 MB).
    public var maxMessageBytes = 10 * 1_048_576
    /// The pauses between attempts after a temporary failure (`4xx`), the last repeating until the retry window ends.
    public var retrySchedule = RetrySchedule(delays: [
        .seconds(60), .seconds(300), .seconds(900), .seconds(1800), .seconds(3600), .seconds(7200), .seconds(14_400),
    ])
    /// Where the SMTP listener for bounces and unsubscribe mails listens (`--smtp-listen HOST:PORT`); none by default.
    public var inboundListen: (host: String, port: Int)?
    /// How custom domains' mail leaves: through a relay or direct to MX; `nil` keeps it in the sandbox.
    public var delivery: SMTPDelivery?

    public init() {}
}
