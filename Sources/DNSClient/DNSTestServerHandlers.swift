import NIOCore
import Synchronization

/// Answers queries arriving on the test server's UDP socket.
final class DNSTestServerUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let core: DNSTestServerCore

    init(core: DNSTestServerCore) {
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        guard case .send(let outgoing) = core.respond(to: envelope.data, udp: true) else { return }
        // Each datagram is sent once the previous one has left, so a decoy sent from the other
        // socket is in the client's receive queue before the real answer.
        var previous = context.eventLoop.makeSucceededVoidFuture()
        for item in outgoing {
            guard let bytes = try? DNSMessageCodec.encode(item.message),
                let channel = item.fromDecoySocket ? core.decoyChannel.withLock({ $0 }) : context.channel
            else { continue }
            let reply = AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: bytes)
            previous = previous.flatMap { channel.writeAndFlush(reply) }.recover { _ in }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A UDP socket has no connection to lose: keep serving.
    }
}

/// Answers length-prefixed queries on one TCP connection, in order.
final class DNSTestServerTCPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: DNSTestServerCore

    init(core: DNSTestServerCore) {
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .send(let outgoing) = core.respond(to: Self.unwrapInboundIn(data), udp: false) else { return }
        for item in outgoing {
            guard let bytes = try? DNSMessageCodec.encode(item.message) else { continue }
            context.writeAndFlush(Self.wrapOutboundOut(bytes), promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
