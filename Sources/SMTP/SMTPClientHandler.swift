import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// The client side of one SMTP connection on its event loop: parses replies, matches them in
/// order to the commands that were sent (so pipelined groups work), runs one timer for the reply
/// at the head of the queue, and performs the STARTTLS upgrade. All state is confined to the
/// channel's event loop; `SMTPClientSession` is the async façade.
final class SMTPClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// One command to send and how long to wait for its reply once it is the oldest unanswered.
    struct Outgoing: Sendable {
        var command: SMTPCommand
        var stage: String
        var timeout: TimeAmount
    }

    /// The STARTTLS upgrade to perform when the reply to STARTTLS is 220.
    struct TLSUpgrade: Sendable {
        var context: NIOSSLContext
        var serverHostname: String?
        var handshakeTimeout: TimeAmount
    }

    private struct Waiter {
        var id: UInt64
        var stage: String
        /// `nil` while the command is still being written (message data): no timer yet.
        var timeout: TimeAmount?
        var promise: EventLoopPromise<SMTPReply>
        var upgrade: TLSUpgrade?
    }

    private static let dataChunkSize = 64 * 1024

    private let eventLoop: any EventLoop
    private let logger: Logger
    private var parser = SMTPReplyParser()
    private var input = ByteBuffer()
    private var waiters = CircularBuffer<Waiter>()
    private var nextWaiterID: UInt64 = 0
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    private var failure: SMTPError?
    private var handshakeInProgress: Bool
    private var pendingHandshake: (promise: EventLoopPromise<SMTPReply>, reply: SMTPReply)?
    private(set) var isTLS = false
    /// The 220 greeting, or the failure before it.
    let greeting: EventLoopFuture<SMTPReply>

    init(eventLoop: any EventLoop, greetingTimeout: TimeAmount, implicitTLS: Bool, logger: Logger) {
        self.eventLoop = eventLoop
        self.logger = logger
        self.handshakeInProgress = implicitTLS
        let promise = eventLoop.makePromise(of: SMTPReply.self)
        greeting = promise.futureResult
        waiters.append(Waiter(id: 0, stage: "greeting", timeout: greetingTimeout, promise: promise))
        nextWaiterID = 1
    }

    // MARK: Commands (call on the event loop)

    /// Sends `commands` in one write and flush; the futures complete with their replies in order.
    func send(_ commands: [Outgoing]) -> [EventLoopFuture<SMTPReply>] {
        guard failure == nil, let context else {
            return commands.map { _ in eventLoop.makeFailedFuture(failure ?? .connectionClosed) }
        }
        var buffer = context.channel.allocator.buffer(capacity: 64 * commands.count)
        let futures = commands.map { outgoing in
            logger.trace("SMTP client sends", metadata: ["smtp.command": "\(outgoing.command)"])
            SMTPCommandEncoder.write(outgoing.command, into: &buffer)
            return enqueue(stage: outgoing.stage, timeout: outgoing.timeout)
        }
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenFailure { [self] _ in fail(.connectionClosed) }
        return futures
    }

    /// Sends STARTTLS. On a 220 reply the TLS handler is installed before any further byte is
    /// read, and the future completes (with the 220) only once the handshake has succeeded. Any
    /// other reply completes the future as it is.
    func startTLS(_ upgrade: TLSUpgrade, timeout: TimeAmount) -> EventLoopFuture<SMTPReply> {
        let future = send([Outgoing(command: .startTLS, stage: "STARTTLS", timeout: timeout)])[0]
        if !waiters.isEmpty { waiters[waiters.index(before: waiters.endIndex)].upgrade = upgrade }
        return future
    }

    /// Sends dot-stuffed message data in blocks, each of which must be written within
    /// `blockTimeout`; the reply timer (`finalTimeout`) starts once the last block is written.
    func sendMessage(_ data: ByteBuffer, blockTimeout: TimeAmount, finalTimeout: TimeAmount) -> EventLoopFuture<SMTPReply> {
        guard failure == nil, let context else { return eventLoop.makeFailedFuture(failure ?? .connectionClosed) }
        let future = enqueue(stage: "DATA termination", timeout: nil)
        let waiterID = nextWaiterID - 1
        var remaining = data
        var blocks: [ByteBuffer] = []
        while remaining.readableBytes > 0 {
            blocks.append(remaining.readSlice(length: min(Self.dataChunkSize, remaining.readableBytes))!)
        }
        var blockTimer = scheduleTimeout(in: blockTimeout, stage: "data block")
        for (index, block) in blocks.enumerated() {
            let isLast = index == blocks.count - 1
            context.write(wrapOutboundOut(block)).assumeIsolated().whenComplete { [self] result in
                blockTimer.cancel()
                guard case .success = result else { return fail(.connectionClosed) }
                if isLast {
                    armWaiter(id: waiterID, timeout: finalTimeout)
                } else {
                    blockTimer = scheduleTimeout(in: blockTimeout, stage: "data block")
                }
            }
        }
        context.flush()
        return future
    }

    /// Fails every pending reply with `error` and closes the channel. The first failure sticks.
    func fail(_ error: SMTPError) {
        if failure == nil {
            failure = error
            logger.debug("SMTP client connection failed", metadata: ["smtp.error": "\(error)"])
        }
        timer?.cancel()
        timer = nil
        let pending = waiters
        waiters.removeAll()
        for waiter in pending { waiter.promise.fail(failure!) }
        if let pendingHandshake {
            self.pendingHandshake = nil
            pendingHandshake.promise.fail(failure!)
        }
        input.clear()
        context?.close(promise: nil)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { armHead() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(.connectionClosed)
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        armHead()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if handshakeInProgress {
            fail(.tlsHandshakeFailed(String(describing: error)))
        } else {
            fail(.connectionFailed(String(describing: error)))
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            isTLS = true
            handshakeInProgress = false
            timer?.cancel()
            timer = nil
            if let pendingHandshake {
                self.pendingHandshake = nil
                logger.debug("SMTP client TLS established")
                pendingHandshake.promise.succeed(pendingHandshake.reply)
            }
            armHead()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard failure == nil else { return }
        var bytes = unwrapInboundIn(data)
        input.writeBuffer(&bytes)
        do {
            while failure == nil, let reply = try parser.parse(&input) {
                deliver(reply)
            }
        } catch SMTPCodecError.malformedReply(let detail) {
            fail(.malformedReply(detail))
        } catch {
            fail(.malformedReply(error.description))
        }
        if input.readableBytes == 0 { input.clear() }
    }

    // MARK: Replies and timers

    private func deliver(_ reply: SMTPReply) {
        logger.trace("SMTP client received", metadata: ["smtp.reply": "\(reply.code)"])
        guard let waiter = waiters.popFirst() else {
            // An unsolicited reply: 421 when the server shuts the session down, or a protocol
            // violation (including replies injected before a TLS upgrade). Either way the
            // connection cannot go on.
            fail(reply.code == 421 ? .connectionClosed : .unexpectedReply(stage: "no command", reply))
            return
        }
        timer?.cancel()
        timer = nil
        if let upgrade = waiter.upgrade, reply.code == 220 {
            beginTLS(upgrade, reply: reply, promise: waiter.promise)
            return
        }
        waiter.promise.succeed(reply)
        armHead()
    }

    private func beginTLS(_ upgrade: TLSUpgrade, reply: SMTPReply, promise: EventLoopPromise<SMTPReply>) {
        // RFC 3207 §5: anything received before the handshake cannot be trusted.
        guard input.readableBytes == 0, !parser.hasPartialReply, waiters.isEmpty, let context else {
            waiters.prepend(Waiter(id: 0, stage: "STARTTLS", timeout: nil, promise: promise))
            return fail(.malformedReply("data received after the STARTTLS reply"))
        }
        do {
            let handler = try NIOSSLClientHandler(context: upgrade.context, serverHostname: upgrade.serverHostname)
            try context.pipeline.syncOperations.addHandler(handler, position: .first)
        } catch {
            waiters.prepend(Waiter(id: 0, stage: "STARTTLS", timeout: nil, promise: promise))
            return fail(.tlsHandshakeFailed(String(describing: error)))
        }
        handshakeInProgress = true
        pendingHandshake = (promise, reply)
        timer = scheduleTimeout(in: upgrade.handshakeTimeout, stage: "TLS handshake")
    }

    private func enqueue(stage: String, timeout: TimeAmount?) -> EventLoopFuture<SMTPReply> {
        let promise = eventLoop.makePromise(of: SMTPReply.self)
        waiters.append(Waiter(id: nextWaiterID, stage: stage, timeout: timeout, promise: promise))
        nextWaiterID += 1
        if waiters.count == 1 { armHead() }
        return promise.futureResult
    }

    private func armWaiter(id: UInt64, timeout: TimeAmount) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters[index].timeout = timeout
        if index == waiters.startIndex { armHead() }
    }

    private func armHead() {
        guard timer == nil, pendingHandshake == nil, context?.channel.isActive == true,
            let head = waiters.first, let timeout = head.timeout
        else { return }
        timer = scheduleTimeout(in: timeout, stage: head.stage)
    }

    private func scheduleTimeout(in delay: TimeAmount, stage: String) -> Scheduled<Void> {
        eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            fail(.timeout(stage: stage))
        }
    }
}
