import Logging
import NIOCore

extension SMTPConnection {
    /// Sends one message: MAIL FROM, one RCPT TO per recipient, then DATA and the message.
    ///
    /// On a reused connection (every transaction after the first) RSET goes first, so nothing an
    /// earlier transaction left behind can leak into this one. With PIPELINING (RFC 2920) RSET,
    /// MAIL and every RCPT go out in one flush and the replies are matched in order; otherwise each
    /// command waits for its reply. DATA is sent only once a recipient has been accepted, so a
    /// transaction whose recipients were all refused never sends DATA. MAIL carries `SIZE=` when
    /// the server offers SIZE, `BODY=8BITMIME` and `SMTPUTF8` when the envelope needs them (and the
    /// server offers them), and `ENVID=` when the server offers DSN.
    ///
    /// `message` is the complete message in CRLF form; it is dot-stuffed, given a final CRLF if it
    /// lacks one, and terminated here.
    ///
    /// Refusals are reported, not thrown: a refused MAIL FROM appears in `mailFrom` and as every
    /// recipient's reply, refused recipients in their results, a refused message in `data`.
    ///
    /// - Throws: `SMTPError` for a lost connection, a timeout, a malformed reply or a refused RSET
    ///   (the connection is then closed); `.messageTooLarge`, `.lineTooLong`,
    ///   `.eightBitMIMENotSupported`, `.smtpUTF8NotSupported` or `.invalidAddress` before anything
    ///   is sent.
    public func send(_ envelope: SMTPEnvelope, message: ByteBuffer) async throws -> SMTPTransactionResult {
        try await exclusively {
            let plan = try SMTPTransactionPlan(envelope: envelope, message: message, capabilities: capabilities)
            let reset = startTransaction()
            logger.debug(
                "SMTP transaction starting",
                metadata: ["smtp.recipients": "\(envelope.recipients.count)", "smtp.size": "\(plan.messageSize)"])
            var replies = try await envelopeReplies(plan, reset: reset)
            if reset {
                let resetReply = replies.removeFirst()
                guard resetReply.isPositiveCompletion else {
                    // The server's state is unknown: this connection cannot carry mail any more.
                    let error = SMTPError.unexpectedReply(stage: "RSET", resetReply)
                    await session.abort(error)
                    throw error
                }
            }
            let result = try await finish(plan, envelope: envelope, replies: replies)
            logger.debug(
                "SMTP transaction finished",
                metadata: [
                    "smtp.mail": "\(result.mailFrom.code)", "smtp.accepted": "\(result.acceptedRecipients.count)",
                    "smtp.data": "\(result.data.map { String($0.code) } ?? "-")",
                ])
            return result
        }
    }

    /// RSET: abandons any transaction in progress.
    /// - Throws: `SMTPError.unexpectedReply` when the server does not answer 250.
    public func reset() async throws {
        try await exclusively {
            let reply = try await session.exchange(.rset, stage: "RSET", timeout: configuration.timeouts.command)
            guard reply.isPositiveCompletion else { throw SMTPError.unexpectedReply(stage: "RSET", reply) }
        }
    }

    /// NOOP: checks that the server still answers; returns its reply whatever the code.
    public func noop() async throws -> SMTPReply {
        try await exclusively {
            try await session.exchange(.noop, stage: "NOOP", timeout: configuration.timeouts.command)
        }
    }

    /// Sends QUIT, waits for the reply (at most the command timeout) and closes the connection.
    /// Never throws; if another operation is running the connection is simply closed.
    public func quit() async {
        do {
            try await exclusively {
                guard isOpen else { return }
                _ = try await session.exchange(.quit, stage: "QUIT", timeout: configuration.timeouts.command)
            }
        } catch {
            logger.debug("SMTP QUIT did not complete", metadata: ["smtp.error": "\(error)"])
        }
        await session.abort(.connectionClosed)
    }

    // MARK: Transactions

    /// The replies to RSET (when `reset`), MAIL and each RCPT, one per command. After a 421 the
    /// server closes the connection, so every later command counts as answered by that 421.
    private func envelopeReplies(_ plan: SMTPTransactionPlan, reset: Bool) async throws -> [SMTPReply] {
        let timeouts = configuration.timeouts
        var commands: [SMTPClientHandler.Outgoing] = []
        if reset { commands.append(.init(command: .rset, stage: "RSET", timeout: TimeAmount(timeouts.command))) }
        commands.append(.init(command: plan.mail, stage: "MAIL", timeout: TimeAmount(timeouts.mail)))
        commands += plan.recipients.map { .init(command: $0, stage: "RCPT", timeout: TimeAmount(timeouts.rcpt)) }
        let leading = reset ? 2 : 1
        var replies: [SMTPReply] = []
        if capabilities.pipelining {
            for future in try await session.pipeline(commands) {
                do {
                    replies.append(try await future.get())
                } catch {
                    guard let closing = replies.first(where: { $0.code == 421 }) else { throw error }
                    replies.append(closing)
                }
            }
            return replies
        }
        for outgoing in commands {
            if let closing = replies.last, closing.code == 421 {
                replies.append(closing)
                continue
            }
            let reply = try await session.pipeline([outgoing])[0].get()
            replies.append(reply)
            // A refused RSET or MAIL ends the exchange: RCPTs would only be refused as out of sequence.
            if replies.count <= leading && !reply.isPositiveCompletion { break }
        }
        return replies
    }

    /// Interprets the replies to MAIL and the RCPTs (the RSET reply already checked) and sends the
    /// message when a recipient was accepted.
    private func finish(_ plan: SMTPTransactionPlan, envelope: SMTPEnvelope, replies: [SMTPReply]) async throws -> SMTPTransactionResult {
        guard let mailReply = replies.first else { throw SMTPError.connectionClosed }
        var result = SMTPTransactionResult(mailFrom: mailReply, recipients: [], data: nil)
        guard mailReply.isPositiveCompletion else {
            result.recipients = envelope.recipients.map { SMTPRecipientResult(address: $0, reply: mailReply) }
            return result
        }
        result.recipients = zip(envelope.recipients, replies.dropFirst()).map { SMTPRecipientResult(address: $0, reply: $1) }
        if replies.contains(where: { $0.code == 421 }) || result.acceptedRecipients.isEmpty { return result }
        let dataReply = try await session.exchange(.data, stage: "DATA", timeout: configuration.timeouts.dataInitiation)
        guard dataReply.code == 354 else {
            result.data = dataReply
            return result
        }
        result.data = try await session.sendMessage(plan.data)
        return result
    }
}
