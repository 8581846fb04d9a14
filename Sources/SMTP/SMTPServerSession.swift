/// The protocol state of one server connection, free of I/O: it turns each command line into
/// an action for `SMTPServerHandler` and records the delegate's answers.
struct SMTPServerSession {
    enum Action: Equatable {
        /// Send the reply and read on.
        case reply(SMTPReply)
        /// Send the reply and close the connection.
        case replyAndClose(SMTPReply)
        /// Send 220 and start the TLS handshake, discarding buffered input (RFC 3207 §4.2).
        case startTLS
        /// Send 354 and read message data.
        case beginData
        /// Ask the delegate about a sender.
        case askMailFrom(reversePath: String, parameters: [String: String])
        /// Ask the delegate about a recipient.
        case askRecipient(String)
        /// Check credentials with the authenticator.
        case authenticate(username: String, password: String)
    }

    enum Phase: Equatable {
        case needHelo
        case ready
        case mail
        case authPlain
        case authLoginUsername
        case authLoginPassword(username: String)
    }

    let configuration: SMTPServerConfiguration
    var info: SMTPSessionInfo
    var phase = Phase.needHelo
    private var reversePath = ""
    private var mailParameters: [String: String] = [:]
    private var recipients: [String] = []
    var errors = 0

    init(configuration: SMTPServerConfiguration, info: SMTPSessionInfo) {
        self.configuration = configuration
        self.info = info
    }

    var greeting: SMTPReply { SMTPReply(code: 220, "\(configuration.hostname) ESMTP ready") }
    var timeoutReply: SMTPReply { SMTPServerReplies.reply(421, 4, 4, 2, "\(configuration.hostname) Error: timeout exceeded") }
    var envelope: SMTPReceivedEnvelope {
        SMTPReceivedEnvelope(reversePath: reversePath, mailParameters: mailParameters, recipients: recipients)
    }

    // MARK: Input

    /// The action for one command line (without CRLF).
    mutating func handle(line: String) -> Action {
        counted(dispatch(line))
    }

    /// A command line was longer than the limit.
    mutating func lineTooLong() -> Action {
        counted(.reply(SMTPServerReplies.lineTooLong))
    }

    mutating func counted(_ action: Action) -> Action {
        guard case .reply(let reply) = action, reply.code >= 500 else { return action }
        errors += 1
        return errors >= configuration.maxErrors ? .replyAndClose(SMTPServerReplies.tooManyErrors) : action
    }

    private mutating func dispatch(_ line: String) -> Action {
        switch phase {
        case .authPlain, .authLoginUsername, .authLoginPassword: return authResponse(line)
        default: break
        }
        let verbEnd = line.firstIndex(of: " ") ?? line.endIndex
        let verb = line[..<verbEnd].uppercased()
        let argument = line[verbEnd...].drop { $0 == " " }
        if configuration.requireTLS && !info.isTLS && !["EHLO", "HELO", "NOOP", "STARTTLS", "QUIT", "RSET"].contains(verb) {
            return .reply(SMTPServerReplies.mustStartTLS)
        }
        switch verb {
        case "EHLO", "HELO": return hello(extended: verb == "EHLO", argument: argument)
        case "STARTTLS": return startTLS(argument: argument)
        case "AUTH": return auth(argument: argument)
        case "MAIL": return mail(argument: argument)
        case "RCPT": return rcpt(argument: argument)
        case "DATA":
            guard argument.isEmpty else { return .reply(SMTPServerReplies.syntax("DATA")) }
            guard phase == .mail else { return .reply(SMTPServerReplies.needMail) }
            return recipients.isEmpty ? .reply(SMTPServerReplies.noValidRecipients) : .beginData
        case "RSET":
            guard argument.isEmpty else { return .reply(SMTPServerReplies.syntax("RSET")) }
            resetTransaction()
            return .reply(SMTPServerReplies.ok)
        case "NOOP": return .reply(SMTPServerReplies.ok)
        case "QUIT": return .replyAndClose(SMTPServerReplies.bye)
        case "VRFY": return .reply(SMTPServerReplies.vrfy)
        case "EXPN", "HELP", "TURN", "ETRN", "BDAT", "SEND", "SOML", "SAML": return .reply(SMTPServerReplies.notImplemented)
        case "": return .reply(SMTPServerReplies.badSyntax)
        default: return .reply(SMTPServerReplies.notRecognized)
        }
    }

    private mutating func hello(extended: Bool, argument: Substring) -> Action {
        // Only the first word is the client's name; some clients add a comment after it.
        guard let name = argument.split(separator: " ").first else {
            return .reply(SMTPServerReplies.syntax(extended ? "EHLO hostname" : "HELO hostname"))
        }
        resetTransaction()
        phase = .ready
        info.heloName = String(name)
        guard extended else { return .reply(SMTPReply(code: 250, configuration.hostname)) }
        var lines = [configuration.hostname, "PIPELINING", "SIZE \(configuration.maxMessageSize)", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES"]
        if configuration.tlsConfiguration != nil && !info.isTLS { lines.append("STARTTLS") }
        if offersAuth { lines.append((["AUTH"] + configuration.authMechanisms).joined(separator: " ")) }
        return .reply(SMTPReply(code: 250, lines: lines))
    }

    private var offersAuth: Bool {
        configuration.authenticator != nil && !configuration.authMechanisms.isEmpty && info.authenticatedUsername == nil
            && (info.isTLS || configuration.allowInsecureAuthentication)
    }

    private mutating func startTLS(argument: Substring) -> Action {
        guard configuration.tlsConfiguration != nil else { return .reply(SMTPServerReplies.notImplemented) }
        guard argument.isEmpty else { return .reply(SMTPServerReplies.syntax("STARTTLS")) }
        guard !info.isTLS else { return .reply(SMTPServerReplies.tlsActive) }
        guard phase != .needHelo else { return .reply(SMTPServerReplies.needHelo) }
        return .startTLS
    }

    /// TLS is up: forget everything learnt before it (RFC 3207 §4.2).
    mutating func tlsEstablished() {
        resetTransaction()
        phase = .needHelo
        info.heloName = nil
        info.authenticatedUsername = nil
        info.isTLS = true
    }

    // MARK: Transaction

    private mutating func mail(argument: Substring) -> Action {
        guard phase != .needHelo else { return .reply(SMTPServerReplies.needHelo) }
        guard phase != .mail else { return .reply(SMTPServerReplies.nestedMail) }
        if configuration.requireAuthentication && info.authenticatedUsername == nil { return .reply(SMTPServerReplies.authRequired) }
        guard argument.prefix(5).uppercased() == "FROM:" else { return .reply(SMTPServerReplies.syntax("MAIL FROM:<address>")) }
        guard let (path, rest) = SMTPPath.parse(argument.dropFirst(5)), path != .postmaster else {
            return .reply(SMTPServerReplies.badSender)
        }
        var parameters: [String: String] = [:]
        for word in rest.split(separator: " ") {
            let keyword = word.prefix { $0 != "=" }.uppercased()
            let value = word.contains("=") ? String(word[word.index(after: word.firstIndex(of: "=")!)...]) : ""
            switch keyword {
            case "SIZE":
                guard let size = Int(value), size >= 0 else { return .reply(SMTPServerReplies.badParameter) }
                if size > configuration.maxMessageSize { return .reply(SMTPServerReplies.messageTooLarge) }
            case "BODY":
                guard ["7BIT", "8BITMIME"].contains(value.uppercased()) else { return .reply(SMTPServerReplies.badParameter) }
            case "SMTPUTF8":
                guard value.isEmpty else { return .reply(SMTPServerReplies.badParameter) }
            case "AUTH":
                break  // RFC 4954 §5: accepted; this server does not relay, so it is not used.
            default:
                return .reply(SMTPServerReplies.unsupportedParameter)
            }
            parameters[keyword] = value
        }
        if path.address.utf8.contains(where: { $0 >= 0x80 }) && parameters["SMTPUTF8"] == nil {
            return .reply(SMTPServerReplies.needsSMTPUTF8)
        }
        return .askMailFrom(reversePath: path.address, parameters: parameters)
    }

    /// The delegate answered MAIL FROM.
    mutating func mailFromAnswered(_ reply: SMTPReply, reversePath: String, parameters: [String: String]) -> SMTPReply {
        if reply.isPositiveCompletion {
            phase = .mail
            self.reversePath = reversePath
            mailParameters = parameters
            recipients = []
        }
        return Self.normalized(reply)
    }

    private mutating func rcpt(argument: Substring) -> Action {
        guard phase == .mail else { return .reply(SMTPServerReplies.needMail) }
        guard argument.prefix(3).uppercased() == "TO:" else { return .reply(SMTPServerReplies.syntax("RCPT TO:<address>")) }
        guard let (path, rest) = SMTPPath.parse(argument.dropFirst(3)), path != .null else {
            return .reply(SMTPServerReplies.badRecipient)
        }
        guard rest.isEmpty else { return .reply(SMTPServerReplies.unsupportedParameter) }
        guard recipients.count < configuration.maxRecipients else { return .reply(SMTPServerReplies.tooManyRecipients) }
        if path.address.utf8.contains(where: { $0 >= 0x80 }) && mailParameters["SMTPUTF8"] == nil {
            return .reply(SMTPServerReplies.needsSMTPUTF8)
        }
        return .askRecipient(path.address)
    }

    /// The delegate answered RCPT TO.
    mutating func recipientAnswered(_ reply: SMTPReply, forwardPath: String) -> SMTPReply {
        if reply.isPositiveCompletion && phase == .mail { recipients.append(forwardPath) }
        return Self.normalized(reply)
    }

    /// The message was read (or refused for its size) and answered: the transaction is over.
    mutating func messageFinished(_ reply: SMTPReply) -> SMTPReply {
        resetTransaction()
        return Self.normalized(reply)
    }

    mutating func resetTransaction() {
        if phase == .mail { phase = .ready }
        reversePath = ""
        mailParameters = [:]
        recipients = []
    }

    /// Gives every line an enhanced status code (RFC 2034 §3): the delegate's own, or `x.0.0`.
    static func normalized(_ reply: SMTPReply) -> SMTPReply {
        guard (200..<600).contains(reply.code) else { return SMTPServerReplies.localError }
        let status = reply.enhancedStatus ?? SMTPEnhancedStatus(reply.code / 100, 0, 0)
        let prefix = "\(status) "
        return SMTPReply(code: reply.code, lines: reply.lines.map { SMTPEnhancedStatus($0.prefix { $0 != " " }) == nil ? prefix + $0 : $0 })
    }
}
