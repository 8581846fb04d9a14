import NIOCore

/// The async façade over an `SMTPClientHandler`: hops to the channel's event loop to send and
/// awaits the replies. Sendable because it holds only the channel, a loop-bound handler (touched
/// only on its loop) and immutable values.
struct SMTPClientSession: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<SMTPClientHandler>
    let timeouts: SMTPTimeouts

    /// Sends `commands` in one flush and returns the reply futures in order.
    func pipeline(_ commands: [SMTPClientHandler.Outgoing]) async throws -> [EventLoopFuture<SMTPReply>] {
        let handler = handler
        return try await channel.eventLoop.submit { handler.value.send(commands) }.get()
    }

    /// Sends one command and waits for its reply.
    func exchange(_ command: SMTPCommand, stage: String, timeout: Duration) async throws -> SMTPReply {
        let futures = try await pipeline([.init(command: command, stage: stage, timeout: TimeAmount(timeout))])
        return try await futures[0].get()
    }

    /// Sends dot-stuffed message data and waits for the final reply.
    func sendMessage(_ data: ByteBuffer) async throws -> SMTPReply {
        let handler = handler
        let block = TimeAmount(timeouts.dataBlock)
        let final = TimeAmount(timeouts.dataTermination)
        return try await channel.eventLoop.flatSubmit {
            handler.value.sendMessage(data, blockTimeout: block, finalTimeout: final)
        }.get()
    }

    /// Sends STARTTLS and, on 220, upgrades the connection before returning.
    func startTLS(_ upgrade: SMTPClientHandler.TLSUpgrade) async throws -> SMTPReply {
        let handler = handler
        let timeout = TimeAmount(timeouts.command)
        return try await channel.eventLoop.flatSubmit { handler.value.startTLS(upgrade, timeout: timeout) }.get()
    }

    /// Whether TLS protects the connection.
    func isTLS() async throws -> Bool {
        let handler = handler
        return try await channel.eventLoop.submit { handler.value.isTLS }.get()
    }

    /// Fails pending work and closes the connection.
    func abort(_ error: SMTPError) async {
        let handler = handler
        try? await channel.eventLoop.submit { handler.value.fail(error) }.get()
        try? await channel.closeFuture.get()
    }
}
