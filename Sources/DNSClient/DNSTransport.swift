import NIOCore
import NIOPosix
import Synchronization

/// One query/response exchange with the configured server, over UDP (RFC 1035 §4.2.1) or TCP
/// (RFC 7766). It knows nothing of response codes or CNAMEs; `DNSResolver` interprets answers.
struct DNSTransport: Sendable {
    let server: DNSServerAddress
    let timeout: Duration
    let attempts: Int
    let group: any EventLoopGroup

    private typealias DatagramChannel = NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>

    /// Sends `query` from a fresh socket on an ephemeral port and waits for the matching answer,
    /// sending again after each `timeout` until `attempts` sends have gone unanswered.
    ///
    /// A fresh socket per query gives each query its own random source port (RFC 5452 §9.2), so a
    /// spoofer has to guess port and id. Datagrams from any other address, with another id, or
    /// that are not a response are dropped without a trace; well-addressed but undecodable ones
    /// are remembered and reported only if nothing valid arrives.
    func udp(_ query: DNSMessage, encoded: ByteBuffer) async throws(DNSResolverError) -> DNSMessage {
        let server = self.server
        let timeout = self.timeout
        let attempts = self.attempts
        let localHost = server.socketAddress.protocol == .inet6 ? "::" : "0.0.0.0"
        let lastRejection = RejectionBox()
        return try await Self.mapErrors {
            let channel = try await DatagramBootstrap(group: group).bind(host: localHost, port: 0) { channel in
                channel.eventLoop.makeCompletedFuture { try DatagramChannel(wrappingChannelSynchronously: channel) }
            }
            return try await channel.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: DNSMessage.self) { tasks in
                    tasks.addTask {
                        for try await envelope in inbound {
                            let source = envelope.remoteAddress
                            guard source.ipAddress == server.socketAddress.ipAddress, source.port == server.port else { continue }
                            switch Self.examine(envelope.data, answering: query) {
                            case .accept(let response): return response
                            case .ignore: continue
                            case .reject(let error): lastRejection.set(error)
                            }
                        }
                        throw CancellationError()
                    }
                    tasks.addTask {
                        for _ in 0..<attempts {
                            try await outbound.write(AddressedEnvelope(remoteAddress: server.socketAddress, data: encoded))
                            try await Task.sleep(for: timeout)
                        }
                        throw lastRejection.get() ?? DNSResolverError.timeout(name: query.questions.first?.name ?? .root, attempts: attempts)
                    }
                    defer { tasks.cancelAll() }
                    guard let response = try await tasks.next() else { throw CancellationError() }
                    return response
                }
            }
        }
    }

    /// Sends `query` over a new TCP connection and reads length-prefixed messages until the one
    /// with the query's id. Connecting and answering together must fit in one `timeout`.
    func tcp(_ query: DNSMessage, encoded: ByteBuffer) async throws(DNSResolverError) -> DNSMessage {
        let server = self.server
        let group = self.group
        let timeout = self.timeout
        return try await Self.mapErrors {
            try await withThrowingTaskGroup(of: DNSMessage.self) { tasks in
                tasks.addTask {
                    let channel = try await ClientBootstrap(group: group)
                        .connectTimeout(TimeAmount(timeout))
                        .connect(to: server.socketAddress) { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
                                try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(DNSTCPFrameEncoder()))
                                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                            }
                        }
                    return try await channel.executeThenClose { inbound, outbound in
                        try await outbound.write(encoded)
                        for try await frame in inbound {
                            switch Self.examine(frame, answering: query) {
                            case .accept(let response): return response
                            case .ignore: continue
                            case .reject(let error): throw error
                            }
                        }
                        throw DNSResolverError.transportFailure("connection to \(server) closed before the answer")
                    }
                }
                tasks.addTask {
                    try await Task.sleep(for: timeout)
                    throw DNSResolverError.timeout(name: query.questions.first?.name ?? .root, attempts: 1)
                }
                defer { tasks.cancelAll() }
                guard let response = try await tasks.next() else { throw CancellationError() }
                return response
            }
        }
    }

    enum Verdict {
        /// The answer to the query.
        case accept(DNSMessage)
        /// Not meant for this query (another id, not a response): drop silently.
        case ignore
        /// Claims to answer the query but is broken or answers another question.
        case reject(DNSResolverError)
    }

    /// Decides whether `data` answers `query`: same id, QR set, same opcode, and the same
    /// question — except that error responses and truncated ones may omit the question, as
    /// FORMERR answers from some servers and truncated ones from dnslib's do. Those carry no
    /// records: the client either fails or asks again over TCP, where the answer is checked in full.
    static func examine(_ data: ByteBuffer, answering query: DNSMessage) -> Verdict {
        guard let header = try? DNSMessageCodec.decodeHeader(data), header.id == query.header.id, header.isResponse else {
            return .ignore
        }
        let response: DNSMessage
        do {
            response = try DNSMessageCodec.decode(data)
        } catch {
            return .reject(.malformedResponse(error))
        }
        guard response.header.opcode == query.header.opcode else { return .reject(.mismatchedResponse) }
        if response.questions.isEmpty, response.answers.isEmpty,
            response.header.isTruncated || (response.responseCode != .noError && response.responseCode != .nameError)
        {
            return .accept(response)
        }
        guard response.questions == query.questions else { return .reject(.mismatchedResponse) }
        return .accept(response)
    }

    private static func mapErrors<T>(_ body: () async throws -> T) async throws(DNSResolverError) -> T {
        do {
            return try await body()
        } catch let error as DNSResolverError {
            throw error
        } catch is CancellationError {
            throw .cancelled
        } catch {
            throw .transportFailure(String(describing: error))
        }
    }
}

/// The last rejected datagram's error, shared between the reading task and the timer task of
/// one UDP exchange.
private final class RejectionBox: Sendable {
    private let value = Mutex<DNSResolverError?>(nil)
    func set(_ error: DNSResolverError) { value.withLock { $0 = error } }
    func get() -> DNSResolverError? { value.withLock { $0 } }
}
