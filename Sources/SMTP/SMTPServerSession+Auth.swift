/// AUTH PLAIN and AUTH LOGIN on the server side (RFC 4954, RFC 4616).
extension SMTPServerSession {
    private static let usernameChallenge = SMTPReply(code: 334, "VXNlcm5hbWU6")  // "Username:"
    private static let passwordChallenge = SMTPReply(code: 334, "UGFzc3dvcmQ6")  // "Password:"

    mutating func auth(argument: Substring) -> Action {
        guard configuration.authenticator != nil else { return .reply(SMTPServerReplies.notImplemented) }
        guard phase != .needHelo else { return .reply(SMTPServerReplies.needHelo) }
        guard info.authenticatedUsername == nil else { return .reply(SMTPServerReplies.alreadyAuthenticated) }
        guard phase != .mail else { return .reply(SMTPServerReplies.authInTransaction) }
        guard info.isTLS || configuration.allowInsecureAuthentication else { return .reply(SMTPServerReplies.encryptionRequired) }
        let words = argument.split(separator: " ")
        guard (1...2).contains(words.count) else { return .reply(SMTPServerReplies.syntax("AUTH mechanism [initial-response]")) }
        let mechanism = words[0].uppercased()
        guard configuration.authMechanisms.contains(where: { $0.uppercased() == mechanism }) else {
            return .reply(SMTPServerReplies.unknownMechanism)
        }
        switch mechanism {
        case "PLAIN":
            if words.count == 2 { return plainResponse(words[1]) }
            phase = .authPlain
            return .reply(SMTPReply(code: 334, ""))
        case "LOGIN":
            if words.count == 2 {
                guard let username = Self.decodeText(words[1]) else { return .reply(SMTPServerReplies.authBadEncoding) }
                phase = .authLoginPassword(username: username)
                return .reply(Self.passwordChallenge)
            }
            phase = .authLoginUsername
            return .reply(Self.usernameChallenge)
        default:
            return .reply(SMTPServerReplies.unknownMechanism)
        }
    }

    /// A line sent in answer to a 334 challenge.
    mutating func authResponse(_ line: String) -> Action {
        let current = phase
        phase = .ready
        if line == "*" { return .reply(SMTPServerReplies.authCancelled) }
        switch current {
        case .authPlain:
            return plainResponse(Substring(line))
        case .authLoginUsername:
            guard let username = Self.decodeText(line) else { return .reply(SMTPServerReplies.authBadEncoding) }
            phase = .authLoginPassword(username: username)
            return .reply(Self.passwordChallenge)
        case .authLoginPassword(let username):
            guard let password = Self.decodeText(line) else { return .reply(SMTPServerReplies.authBadEncoding) }
            return .authenticate(username: username, password: password)
        default:
            return .reply(SMTPServerReplies.badSyntax)
        }
    }

    /// The authenticator's verdict.
    mutating func authenticationAnswered(success: Bool, username: String) -> Action {
        guard success else { return counted(.reply(SMTPServerReplies.authFailed)) }
        info.authenticatedUsername = username
        return .reply(SMTPServerReplies.authSucceeded)
    }

    /// RFC 4616: `[authzid] NUL authcid NUL passwd`; an authorization identity other than the
    /// authentication identity is not supported.
    private func plainResponse(_ response: Substring) -> Action {
        guard let bytes = response == "=" ? [] : Base64.decode(response) else { return .reply(SMTPServerReplies.authBadEncoding) }
        let parts = bytes.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3,
            let authzid = String(validating: parts[0], as: UTF8.self),
            let username = String(validating: parts[1], as: UTF8.self),
            let password = String(validating: parts[2], as: UTF8.self),
            !username.isEmpty, authzid.isEmpty || authzid == username
        else { return .reply(SMTPServerReplies.authFailed) }
        return .authenticate(username: username, password: password)
    }

    private static func decodeText(_ text: some StringProtocol) -> String? {
        Base64.decode(text).flatMap { String(validating: $0, as: UTF8.self) }
    }
}
