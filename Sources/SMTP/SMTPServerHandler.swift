import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// One server connection on its event loop: buffers input, feeds command lines to
/// `SMTPServerSession` one at a time (pipelined commands wait while the delegate is asked about
/// an earlier one, and reading pauses meanwhile), reads message data with `SMTPDataReader`,
/// batches replies into one flush per burst of input, and performs STARTTLS.
final class SMTPServerHandler: ChannelInboundHandler, ChannelOutboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Mode {
        case commands
        case data(SMTPDataReader)
    }

    private var session: SMTPServerSession
    private let delegate: any SMTPServerDelegate
    private let sslContext: NIOSSLContext?
    private let logger: Logger
    private var lines: SMTPCommandLineParser
    private var mode = Mode.commands
    private var input = ByteBuffer()
    private var busy = false
    private var closing = false
    private var pendingRead = false
    private var unflushed = false
    private var idleTimer: Scheduled<Void>?

    init(configuration: SMTPServerConfiguration, delegate: any SMTPServerDelegate, sslContext: NIOSSLContext?, logger: Logger) {
        self.session = SMTPServerSession(configuration: configuration, info: SMTPSessionInfo(remoteAddress: nil))
        self.delegate = delegate
        self.sslContext = sslContext
        self.logger = logger
        self.lines = SMTPCommandLineParser(maximumLength: configuration.maxCommandLineLength)
    }

    // MARK: Channel events

    func channelActive(context: ChannelHandlerContext) {
        session.info.remoteAddress = context.channel.remoteAddress
        logger.debug("SMTP server accepted connection")
        send(session.greeting, context: context)
        flushIfNeeded(context: context)
        armIdleTimer(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closing = true
        idleTimer?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        var bytes = unwrapInboundIn(data)
        input.writeBuffer(&bytes)
        idleTimer?.cancel()
        process(context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            session.tlsEstablished()
            logger.debug("SMTP server TLS established")
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("SMTP server connection error", metadata: ["smtp.error": "\(error)"])
        closing = true
        context.close(promise: nil)
    }

    /// Holds reads while the delegate is deciding, so a flood of pipelined input is not buffered.
    func read(context: ChannelHandlerContext) {
        if busy {
            pendingRead = true
        } else {
            context.read()
        }
    }

    // MARK: Processing

    private func process(context: ChannelHandlerContext) {
        while !busy && !closing {
            if case .data(var reader) = mode {
                guard let outcome = reader.read(&input) else {
                    mode = .data(reader)
                    break
                }
                mode = .commands
                switch outcome {
                case .tooLarge:
                    send(session.messageFinished(SMTPServerReplies.messageTooLarge), context: context)
                case .complete(let message):
                    deliver(message, context: context)
                }
                continue
            }
            guard let line = lines.next(&input) else { break }
            switch line {
            case .tooLong: perform(session.lineTooLong(), context: context)
            case .line(let text): perform(session.handle(line: text), context: context)
            }
        }
        if input.readableBytes == 0 { input.clear() }
        flushIfNeeded(context: context)
        guard !busy && !closing else { return }
        armIdleTimer(context: context)
        if pendingRead {
            pendingRead = false
            context.read()
        }
    }

    private func perform(_ action: SMTPServerSession.Action, context: ChannelHandlerContext) {
        switch action {
        case .reply(let reply):
            send(reply, context: context)
        case .replyAndClose(let reply):
            closing = true
            unflushed = false
            // The close waits for the reply (and any written before it) to reach the socket.
            context.writeAndFlush(wrapOutboundOut(encode(reply, context: context))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        case .beginData:
            send(SMTPServerReplies.startData, context: context)
            mode = .data(SMTPDataReader(maximumSize: session.configuration.maxMessageSize))
        case .startTLS:
            startTLS(context: context)
        case .askMailFrom(let reversePath, let parameters):
            let (delegate, info) = (delegate, session.info)
            ask(context: context, { try await delegate.mailFrom(reversePath, parameters: parameters, session: info) }) { handler, reply in
                handler.session.mailFromAnswered(reply, reversePath: reversePath, parameters: parameters)
            }
        case .askRecipient(let forwardPath):
            let (delegate, info) = (delegate, session.info)
            ask(context: context, { try await delegate.recipient(forwardPath, session: info) }) { handler, reply in
                handler.session.recipientAnswered(reply, forwardPath: forwardPath)
            }
        case .authenticate(let username, let password):
            guard let authenticator = session.configuration.authenticator else { return send(SMTPServerReplies.notImplemented, context: context) }
            busy = true
            flushIfNeeded(context: context)
            context.eventLoop.makeFutureWithTask { await authenticator(username, password) }.assumeIsolated().whenComplete { [self] result in
                busy = false
                guard !closing else { return }
                let success = (try? result.get()) ?? false
                logger.debug("SMTP server authentication", metadata: ["smtp.username": "\(username)", "smtp.success": "\(success)"])
                perform(session.authenticationAnswered(success: success, username: username), context: context)
                process(context: context)
            }
        }
    }

    private func deliver(_ message: ByteBuffer, context: ChannelHandlerContext) {
        let (delegate, info, envelope) = (delegate, session.info, session.envelope)
        logger.debug(
            "SMTP server received message", metadata: ["smtp.size": "\(message.readableBytes)", "smtp.recipients": "\(envelope.recipients.count)"])
        ask(context: context, { try await delegate.message(message, envelope: envelope, session: info) }) { handler, reply in
            handler.session.messageFinished(reply)
        }
    }

    /// Runs `question` off the event loop; meanwhile no input is processed. `answer` turns the
    /// delegate's reply into the reply sent.
    private func ask(
        context: ChannelHandlerContext, _ question: @escaping @Sendable () async throws -> SMTPReply,
        answer: @escaping (SMTPServerHandler, SMTPReply) -> SMTPReply
    ) {
        busy = true
        flushIfNeeded(context: context)
        context.eventLoop.makeFutureWithTask(question).assumeIsolated().whenComplete { [self] result in
            busy = false
            guard !closing else { return }
            let reply: SMTPReply
            switch result {
            case .success(let answered):
                reply = answered
            case .failure(let error):
                logger.warning("SMTP server delegate failed", metadata: ["smtp.error": "\(error)"])
                reply = SMTPServerReplies.localError
            }
            send(answer(self, reply), context: context)
            process(context: context)
        }
    }

    private func startTLS(context: ChannelHandlerContext) {
        guard let sslContext else { return send(SMTPServerReplies.notImplemented, context: context) }
        // RFC 3207 §4.2 and CVE-2011-0411: commands pipelined after STARTTLS arrived in plain
        // text and must not be executed after the upgrade.
        input.clear()
        send(SMTPServerReplies.readyForTLS, context: context)
        flushIfNeeded(context: context)
        do {
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext), position: .first)
        } catch {
            closing = true
            context.close(promise: nil)
        }
    }

    // MARK: Output and timers

    private func send(_ reply: SMTPReply, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(encode(reply, context: context)), promise: nil)
        unflushed = true
    }

    private func encode(_ reply: SMTPReply, context: ChannelHandlerContext) -> ByteBuffer {
        var buffer = context.channel.allocator.buffer(capacity: 64)
        SMTPReplyEncoder.write(reply, into: &buffer)
        return buffer
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        guard unflushed else { return }
        unflushed = false
        context.flush()
    }

    private func armIdleTimer(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        let timeout = TimeAmount(session.configuration.idleTimeout)
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            guard !closing else { return }
            logger.debug("SMTP server idle timeout")
            perform(.replyAndClose(session.timeoutReply), context: context)
        }
    }
}
