/// How long the client waits at each stage. The defaults are RFC 5321 §4.5.3.2's minimums.
public struct SMTPTimeouts: Sendable, Equatable {
    /// Establishing the TCP connection.
    public var connect: Duration
    /// The 220 greeting (§4.5.3.2.1: 5 minutes).
    public var greeting: Duration
    /// The reply to MAIL (§4.5.3.2.2: 5 minutes).
    public var mail: Duration
    /// The reply to each RCPT (§4.5.3.2.3: 5 minutes).
    public var rcpt: Duration
    /// The 354 reply to DATA (§4.5.3.2.4: 2 minutes).
    public var dataInitiation: Duration
    /// Sending each block of message data (§4.5.3.2.5: 3 minutes).
    public var dataBlock: Duration
    /// The reply after the final `.` (§4.5.3.2.6: 10 minutes).
    public var dataTermination: Duration
    /// Replies to other commands: EHLO, HELO, STARTTLS (and its handshake), AUTH, RSET, NOOP, QUIT.
    public var command: Duration

    /// Timeouts; every default is the RFC 5321 value.
    public init(
        connect: Duration = .seconds(30), greeting: Duration = .seconds(300), mail: Duration = .seconds(300),
        rcpt: Duration = .seconds(300), dataInitiation: Duration = .seconds(120), dataBlock: Duration = .seconds(180),
        dataTermination: Duration = .seconds(600), command: Duration = .seconds(300)
    ) {
        self.connect = connect
        self.greeting = greeting
        self.mail = mail
        self.rcpt = rcpt
        self.dataInitiation = dataInitiation
        self.dataBlock = dataBlock
        self.dataTermination = dataTermination
        self.command = command
    }
}
