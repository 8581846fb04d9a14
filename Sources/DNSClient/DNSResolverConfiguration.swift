/// How a `DNSResolver` talks to its recursive resolver.
public struct DNSResolverConfiguration: Sendable, Hashable {
    /// The recursive resolver all queries go to.
    public var server: DNSServerAddress
    /// How long to wait for each UDP attempt, and for the whole TCP exchange.
    public var timeout: Duration
    /// UDP sends before giving up (the first one included). Retries reuse the query's id, so a late
    /// answer to an earlier send is still accepted.
    public var attempts: Int
    /// The EDNS UDP payload size to advertise, or `nil` to send no OPT record and accept only the
    /// classic 512-octet answers. EDNS lets a DKIM key come back over UDP instead of TCP.
    public var ednsUDPPayloadSize: UInt16?
    /// How many CNAMEs to follow before giving up on a chain.
    public var maximumCNAMEChainLength: Int

    /// The defaults mirror glibc's (resolv.conf(5): 5 s × 2 attempts) with a shorter timeout,
    /// because verification runs in request paths where a stuck resolver should fail fast.
    public init(
        server: DNSServerAddress = .system(), timeout: Duration = .seconds(2), attempts: Int = 2,
        ednsUDPPayloadSize: UInt16? = DNSEDNS.defaultUDPPayloadSize, maximumCNAMEChainLength: Int = 8
    ) {
        self.server = server
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.ednsUDPPayloadSize = ednsUDPPayloadSize
        self.maximumCNAMEChainLength = maximumCNAMEChainLength
    }
}
