import NIOSSL
import Testing

@testable import SMTP

/// `SMTPServerSession`, the server's protocol state without I/O: which command is allowed when,
/// how arguments are checked, and AUTH.
@Suite struct ServerSessionTests {
    func session(_ configuration: SMTPServerConfiguration = .test(), tls: Bool = false) -> SMTPServerSession {
        var session = SMTPServerSession(configuration: configuration, info: SMTPSessionInfo(remoteAddress: nil, isTLS: tls))
        _ = session.handle(line: "EHLO client.example.test")
        return session
    }

    func code(_ action: SMTPServerSession.Action) -> Int? {
        switch action {
        case .reply(let reply), .replyAndClose(let reply): reply.code
        default: nil
        }
    }

    /// MAIL FROM accepted by the delegate.
    func inTransaction(_ session: inout SMTPServerSession, parameters: [String: String] = [:]) {
        #expect(session.handle(line: "MAIL FROM:<a@example.test>") == .askMailFrom(reversePath: "a@example.test", parameters: [:]))
        _ = session.mailFromAnswered(SMTPReply(code: 250, "OK"), reversePath: "a@example.test", parameters: parameters)
    }

    @Test func advertisesItsExtensions() {
        var plain = SMTPServerSession(configuration: .test(maxMessageSize: 5000), info: SMTPSessionInfo(remoteAddress: nil))
        guard case .reply(let reply) = plain.handle(line: "EHLO client.example.test") else { return #expect(Bool(false)) }
        #expect(reply.lines == ["mx.example.test", "PIPELINING", "SIZE 5000", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES"])

        let tls = try? TestCertificates().serverTLS
        var secure = SMTPServerSession(
            configuration: .test(tlsConfiguration: tls, authenticator: testAuthenticator), info: SMTPSessionInfo(remoteAddress: nil))
        guard case .reply(let before) = secure.handle(line: "EHLO c") else { return #expect(Bool(false)) }
        #expect(before.lines.contains("STARTTLS"))
        #expect(!before.lines.contains { $0.hasPrefix("AUTH") })
        secure.tlsEstablished()
        #expect(code(secure.handle(line: "MAIL FROM:<a@example.test>")) == 503)
        guard case .reply(let after) = secure.handle(line: "EHLO c") else { return #expect(Bool(false)) }
        #expect(!after.lines.contains("STARTTLS"))
        #expect(after.lines.contains("AUTH PLAIN LOGIN"))
    }

    @Test func answersHELOWithoutExtensionsAndToleratesAComment() {
        var session = SMTPServerSession(configuration: .test(), info: SMTPSessionInfo(remoteAddress: nil))
        #expect(session.handle(line: "HELO client.example.test (a comment)") == .reply(SMTPReply(code: 250, "mx.example.test")))
        #expect(session.info.heloName == "client.example.test")
        #expect(code(session.handle(line: "EHLO")) == 501)
    }

    @Test func refusesCommandsOutOfSequence() {
        var fresh = SMTPServerSession(configuration: .test(), info: SMTPSessionInfo(remoteAddress: nil))
        #expect(code(fresh.handle(line: "MAIL FROM:<a@example.test>")) == 503)
        var session = session()
        #expect(code(session.handle(line: "RCPT TO:<b@example.test>")) == 503)
        #expect(code(session.handle(line: "DATA")) == 503)
        inTransaction(&session)
        #expect(code(session.handle(line: "MAIL FROM:<a@example.test>")) == 503)
        // DATA with no accepted recipient.
        #expect(code(session.handle(line: "DATA")) == 554)
        #expect(session.handle(line: "RCPT TO:<b@example.test>") == .askRecipient("b@example.test"))
        #expect(session.recipientAnswered(SMTPReply(code: 250, "OK"), forwardPath: "b@example.test").code == 250)
        #expect(code(session.handle(line: "DATA now")) == 501)
        #expect(session.handle(line: "DATA") == .beginData)
        #expect(session.envelope.recipients == ["b@example.test"])
    }

    @Test func resetEndsTheTransaction() {
        var session = session()
        inTransaction(&session)
        #expect(code(session.handle(line: "RSET")) == 250)
        #expect(code(session.handle(line: "RCPT TO:<b@example.test>")) == 503)
        #expect(session.handle(line: "MAIL FROM:<>") == .askMailFrom(reversePath: "", parameters: [:]))
    }

    @Test(arguments: [
        ("MAIL FROM:a@example.test", 501), ("MAIL TO:<a@example.test>", 501), ("MAIL FROM:<a@example.test> FOO=1", 555),
        ("MAIL FROM:<a@example.test> SIZE=x", 501), ("MAIL FROM:<a@example.test> SIZE=2000000", 552),
        ("MAIL FROM:<a@example.test> BODY=BINARYMIME", 501), ("MAIL FROM:<a@example.test> SMTPUTF8=yes", 501),
        ("MAIL FROM:<josé@example.test>", 553), ("MAIL FROM:<Postmaster>", 501), ("MAIL FROM:<a b@example.test>", 501),
    ])
    func refusesMalformedMAIL(line: String, expected: Int) {
        var session = session()
        #expect(code(session.handle(line: line)) == expected)
    }

    @Test func passesMAILParametersUpperCased() {
        var session = session()
        #expect(
            session.handle(line: "mail from:<josé@example.test> size=10 body=8bitmime smtputf8")
                == .askMailFrom(reversePath: "josé@example.test", parameters: ["SIZE": "10", "BODY": "8bitmime", "SMTPUTF8": ""]))
    }

    @Test func checksRecipients() {
        var session = session(.test(maxRecipients: 1))
        inTransaction(&session)
        #expect(code(session.handle(line: "RCPT TO:<>")) == 501)
        #expect(code(session.handle(line: "RCPT TO:<b@example.test> NOTIFY=NEVER")) == 555)
        #expect(code(session.handle(line: "RCPT TO:<ü@example.test>")) == 553)
        #expect(session.handle(line: "RCPT TO:<Postmaster>") == .askRecipient("Postmaster"))
        _ = session.recipientAnswered(SMTPReply(code: 250, "OK"), forwardPath: "Postmaster")
        #expect(code(session.handle(line: "RCPT TO:<c@example.test>")) == 452)
    }

    @Test func givesDelegateRepliesAnEnhancedStatus() {
        #expect(SMTPServerSession.normalized(SMTPReply(code: 550, "No")) == SMTPReply(code: 550, "5.0.0 No"))
        #expect(SMTPServerSession.normalized(SMTPReply(code: 250, "2.1.5 Fine")) == SMTPReply(code: 250, "2.1.5 Fine"))
        #expect(SMTPServerSession.normalized(SMTPReply(code: 700, "Huh")).code == 451)
    }

    @Test func answersUnknownAndEmptyCommandsAndClosesAfterTooManyErrors() {
        var session = session(.test(maxErrors: 3))
        #expect(code(session.handle(line: "FOO")) == 502)
        #expect(code(session.handle(line: "")) == 500)
        #expect(code(session.handle(line: "NOOP")) == 250)
        #expect(session.handle(line: "BAR") == .replyAndClose(SMTPServerReplies.tooManyErrors))
    }

    @Test func requiresTLSAndAuthenticationWhenConfigured() {
        var needsTLS = session(.test(tlsConfiguration: try? TestCertificates().serverTLS, requireTLS: true))
        #expect(code(needsTLS.handle(line: "MAIL FROM:<a@example.test>")) == 530)
        #expect(needsTLS.handle(line: "STARTTLS") == .startTLS)
        var needsAuth = session(.test(authenticator: testAuthenticator, requireAuthentication: true), tls: true)
        #expect(code(needsAuth.handle(line: "MAIL FROM:<a@example.test>")) == 530)
    }

    @Test func quitClosesAndSTARTTLSWithoutTLSIsNotImplemented() {
        var session = session()
        #expect(code(session.handle(line: "STARTTLS")) == 502)
        #expect(session.handle(line: "QUIT") == .replyAndClose(SMTPServerReplies.bye))
    }

    // MARK: AUTH

    func authSession() -> SMTPServerSession {
        session(.test(authenticator: testAuthenticator), tls: true)
    }

    @Test func authPLAINWithAnInitialResponse() {
        var session = authSession()
        #expect(session.handle(line: "AUTH PLAIN AHVzZXIAc2VjcmV0") == .authenticate(username: "user", password: "secret"))
        #expect(session.authenticationAnswered(success: true, username: "user") == .reply(SMTPServerReplies.authSucceeded))
        #expect(session.info.authenticatedUsername == "user")
        #expect(code(session.handle(line: "AUTH PLAIN AHVzZXIAc2VjcmV0")) == 503)
    }

    @Test func authPLAINAfterAChallengeAndLOGIN() {
        var plain = authSession()
        #expect(plain.handle(line: "AUTH PLAIN") == .reply(SMTPReply(code: 334, "")))
        // The response line is not a command, even when it looks like one.
        #expect(plain.handle(line: "dXNlcgB1c2VyAHNlY3JldA==") == .authenticate(username: "user", password: "secret"))

        var login = authSession()
        #expect(code(login.handle(line: "AUTH LOGIN")) == 334)
        #expect(code(login.handle(line: "dXNlcg==")) == 334)
        #expect(login.handle(line: "c2VjcmV0") == .authenticate(username: "user", password: "secret"))
        var loginInitial = authSession()
        #expect(code(loginInitial.handle(line: "AUTH LOGIN dXNlcg==")) == 334)
        #expect(loginInitial.handle(line: "c2VjcmV0") == .authenticate(username: "user", password: "secret"))
    }

    @Test func refusesBadAUTH() {
        var session = authSession()
        #expect(code(session.handle(line: "AUTH CRAM-MD5")) == 504)
        #expect(code(session.handle(line: "AUTH PLAIN !!!!")) == 501)
        // An authorization identity other than the user.
        #expect(code(session.handle(line: "AUTH PLAIN YWRtaW4AdXNlcgBzZWNyZXQ=")) == 535)
        #expect(code(session.handle(line: "AUTH LOGIN")) == 334)
        #expect(code(session.handle(line: "*")) == 501)
        #expect(code(session.handle(line: "NOOP")) == 250)
        #expect(session.authenticationAnswered(success: false, username: "user") == .reply(SMTPServerReplies.authFailed))
        #expect(session.info.authenticatedUsername == nil)

        var plainText = self.session(.test(authenticator: testAuthenticator))
        #expect(code(plainText.handle(line: "AUTH PLAIN AHVzZXIAc2VjcmV0")) == 538)
        var transaction = authSession()
        inTransaction(&transaction)
        #expect(code(transaction.handle(line: "AUTH PLAIN AHVzZXIAc2VjcmV0")) == 503)
        var noAuth = self.session(tls: true)
        #expect(code(noAuth.handle(line: "AUTH PLAIN AHVzZXIAc2VjcmV0")) == 502)
    }
}
