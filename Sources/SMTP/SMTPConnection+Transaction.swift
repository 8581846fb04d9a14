import Logging
import NIOCore

extension SMTPConnection {
    /// Sends one message: MAIL FROM, one RCPT TO per recipient, DATA and the message.
    ///
    /// With PIPELINING (RFC 2920) MAIL, every RCPT and DATA go out in one flush and the replies are
    /// matched in order; otherwise each command waits for its reply. MAIL carries `SIZE=` when the
    /// server offers SIZE, `BODY=8BITMIME` and `SMTPUTF8` when the envelope needs them, and
    /// `ENVID=` when the server offers DSN. When no recipient is accepted no message is sent: the
    /// transaction is reset (if DATA was nevertheless accepted under pipelining, a lone `.` ends it
    /// first, as RFC 2920 §3.1 says).
    ///
    /// `message` is the complete message in CRLF form; it is dot-stuffed, given a final CRLF if it
    /// lacks one, and terminated here.
    ///
    /// Refusals are reported, not thrown: a refused MAIL FROM appears in `mailFrom` and as every
    /// recipient's reply, refused recipients in their results, a refused message in `data`.
    ///
    /// - Throws: `SMTPError` for a lost connection, a timeout or a malformed reply (the connection
    ///   is then closed); `.messageTooLarge`, `.eightBitMIMENotSupported`, `.smtpUTF8NotSupported`
    ///   or `.invalidAddress` before anything is sent.
    public func send(_ envelope: SMTPEnvelope, message: ByteBuffer) async throws -> SMTPTransactionResult {
        try await exclusively {
            let plan = try SMTPTransactionPlan(envelope: envelope, message: message, capabilities: capabilities)
            logger.debug(
                "SMTP transaction starting",
                metadata: ["smtp.recipients": "\(envelope.recipients.count)", "smtp.size": "\(plan.messageSize)"])
            let result =
                capabilities.pipelining ? try await sendPipelined(plan, envelope: envelope) : try await sendLockStep(plan, envelope: envelope)
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

    private func sendPipelined(_ plan: SMTPTransactionPlan, envelope: SMTPEnvelope) async throws -> SMTPTransactionResult {
        let timeouts = configuration.timeouts
        var commands = [SMTPClientHandler.Outgoing(command: plan.mail, stage: "MAIL", timeout: TimeAmount(timeouts.mail))]
        commands += plan.recipients.map { .init(command: $0, stage: "RCPT", timeout: TimeAmount(timeouts.rcpt)) }
        commands.append(.init(command: .data, stage: "DATA", timeout: TimeAmount(timeouts.dataInitiation)))
        let futures = try await session.pipeline(commands)
        var replies: [SMTPReply] = []
        for future in futures {
            do {
                replies.append(try await future.get())
            } catch {
                // After a 421 the server closes the connection: the missing replies are that 421.
                guard let closing = replies.first(where: { $0.code == 421 }) else { throw error }
                replies.append(closing)
            }
        }
        let mailReply = replies[0]
        let dataReply = replies[replies.count - 1]
        let rcptReplies = mailReply.isPositiveCompletion ? Array(replies[1..<(replies.count - 1)]) : plan.recipients.map { _ in mailReply }
        var result = SMTPTransactionResult(
            mailFrom: mailReply, recipients: zip(envelope.recipients, rcptReplies).map { SMTPRecipientResult(address: $0, reply: $1) },
            data: nil)
        if replies.contains(where: { $0.code == 421 }) { return result }
        if dataReply.code == 354 {
            if result.acceptedRecipients.isEmpty {
                // RFC 2920 §3.1: DATA was accepted although no recipient was; end it empty.
                _ = try await session.sendMessage(ByteBuffer(string: ".\r\n"))
                await resetQuietly()
            } else {
                result.data = try await session.sendMessage(plan.data)
            }
        } else if mailReply.isPositiveCompletion {
            if !result.acceptedRecipients.isEmpty { result.data = dataReply }
            await resetQuietly()
        }
        return result
    }

    private func sendLockStep(_ plan: SMTPTransactionPlan, envelope: SMTPEnvelope) async throws -> SMTPTransactionResult {
        let timeouts = configuration.timeouts
        let mailReply = try await session.exchange(plan.mail, stage: "MAIL", timeout: timeouts.mail)
        var result = SMTPTransactionResult(mailFrom: mailReply, recipients: [], data: nil)
        guard mailReply.isPositiveCompletion else {
            result.recipients = envelope.recipients.map { SMTPRecipientResult(address: $0, reply: mailReply) }
            return result
        }
        var closing: SMTPReply?
        for (address, command) in zip(envelope.recipients, plan.recipients) {
            let reply: SMTPReply
            if let closing {
                reply = closing
            } else {
                reply = try await session.exchange(command, stage: "RCPT", timeout: timeouts.rcpt)
                if reply.code == 421 { closing = reply }
            }
            result.recipients.append(SMTPRecipientResult(address: address, reply: reply))
        }
        if closing != nil { return result }
        guard !result.acceptedRecipients.isEmpty else {
            await resetQuietly()
            return result
        }
        let dataReply = try await session.exchange(.data, stage: "DATA", timeout: timeouts.dataInitiation)
        guard dataReply.code == 354 else {
            result.data = dataReply
            if dataReply.code != 421 { await resetQuietly() }
            return result
        }
        result.data = try await session.sendMessage(plan.data)
        return result
    }

    /// RSET after an abandoned transaction. Its outcome does not change the transaction's result;
    /// if it fails the connection is closed and `isOpen` says so.
    private func resetQuietly() async {
        do {
            _ = try await session.exchange(.rset, stage: "RSET", timeout: configuration.timeouts.command)
        } catch {
            logger.debug("SMTP RSET failed", metadata: ["smtp.error": "\(error)"])
        }
    }
}
