/// The replies the server sends on its own account.
enum SMTPServerReplies {
    static func reply(_ code: Int, _ klass: Int, _ subject: Int, _ detail: Int, _ text: String) -> SMTPReply {
        SMTPReply(code: code, status: SMTPEnhancedStatus(klass, subject, detail), text: text)
    }

    static let ok = reply(250, 2, 0, 0, "OK")
    static let bye = reply(221, 2, 0, 0, "Bye")
    static let startData = SMTPReply(code: 354, "End data with <CR><LF>.<CR><LF>")
    static let readyForTLS = reply(220, 2, 0, 0, "Ready to start TLS")
    static let vrfy = reply(252, 2, 5, 0, "Cannot VRFY user, but will accept message and attempt delivery")
    static let authSucceeded = reply(235, 2, 7, 0, "Authentication successful")
    static let lineTooLong = reply(500, 5, 5, 6, "Line too long")
    static let badSyntax = reply(500, 5, 5, 2, "Syntax error")
    static let notRecognized = reply(502, 5, 5, 2, "Command not recognized")
    static let notImplemented = reply(502, 5, 5, 1, "Command not implemented")
    static let needHelo = reply(503, 5, 5, 1, "Bad sequence of commands: send EHLO or HELO first")
    static let needMail = reply(503, 5, 5, 1, "Bad sequence of commands: need MAIL first")
    static let nestedMail = reply(503, 5, 5, 1, "Bad sequence of commands: MAIL already given")
    static let noValidRecipients = reply(554, 5, 5, 1, "No valid recipients")
    static let tlsActive = reply(503, 5, 5, 1, "TLS already active")
    static let alreadyAuthenticated = reply(503, 5, 5, 1, "Already authenticated")
    static let authInTransaction = reply(503, 5, 5, 1, "AUTH not allowed during a mail transaction")
    static let mustStartTLS = reply(530, 5, 7, 0, "Must issue a STARTTLS command first")
    static let authRequired = reply(530, 5, 7, 0, "Authentication required")
    static let encryptionRequired = reply(538, 5, 7, 11, "Encryption required for requested authentication mechanism")
    static let authFailed = reply(535, 5, 7, 8, "Authentication credentials invalid")
    static let authCancelled = reply(501, 5, 7, 0, "Authentication cancelled")
    static let authBadEncoding = reply(501, 5, 5, 2, "Cannot decode response")
    static let unknownMechanism = reply(504, 5, 5, 4, "Unrecognized authentication type")
    static let badSender = reply(501, 5, 1, 7, "Bad sender address syntax")
    static let badRecipient = reply(501, 5, 1, 3, "Bad recipient address syntax")
    static let unsupportedParameter = reply(555, 5, 5, 4, "Unsupported parameter")
    static let badParameter = reply(501, 5, 5, 4, "Invalid parameter value")
    static let needsSMTPUTF8 = reply(553, 5, 6, 7, "Non-ASCII address requires SMTPUTF8")
    static let tooManyRecipients = reply(452, 4, 5, 3, "Too many recipients")
    static let messageTooLarge = reply(552, 5, 3, 4, "Message size exceeds fixed maximum message size")
    static let tooManyErrors = reply(421, 4, 7, 0, "Too many errors, closing connection")
    static let localError = reply(451, 4, 3, 0, "Local error in processing")

    static func syntax(_ usage: String) -> SMTPReply { reply(501, 5, 5, 4, "Syntax: \(usage)") }
}
