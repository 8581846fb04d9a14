import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import SMPP

struct ConditionTimeout: Error, CustomStringConvertible {
    var description: String
}

/// Polls `condition` every 2 ms until it holds, failing after `timeout`: tests await effects
/// instead of sleeping for guessed durations. A passing test never waits for the timeout; it is 30 s (as the
/// simulator's own `waitUntil`) because under the full suite's load on two cores a task once waited more than 5 s
/// for its turn.
func eventually(
    _ description: String = "condition",
    timeout: Duration = .seconds(30),
    _ condition: @Sendable () async -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while !(await condition()) {
        guard clock.now < deadline else { throw ConditionTimeout(description: "timed out waiting for \(description)") }
        try await Task.sleep(for: .milliseconds(2))
    }
}

/// Runs `body` against a fresh simulator on an ephemeral loopback port and always shuts it down.
func withSimulator<T: Sendable>(
    _ configuration: SMSCSimulatorConfiguration = SMSCSimulatorConfiguration(),
    _ body: (SMSCSimulator) async throws -> T
) async throws -> T {
    let simulator = try await SMSCSimulator.start(configuration: configuration)
    do {
        let result = try await body(simulator)
        await simulator.shutdown()
        return result
    } catch {
        await simulator.shutdown()
        throw error
    }
}

/// Fast timers for tests; everything else from the simulator.
func testConfiguration(_ simulator: SMSCSimulator, window: Int = 10) -> SMPPClientConfiguration {
    var configuration = simulator.clientConfiguration()
    configuration.windowSize = window
    // Generous: the whole suite runs in parallel on two cores; tests of the timeout set their own.
    configuration.responseTimeout = .seconds(30)
    configuration.enquireLinkInterval = nil
    configuration.unbindTimeout = .milliseconds(500)
    return configuration
}

/// Drains a client's `deliveries` in the background so tests can wait for them by count.
final class DeliveryCollector: Sendable {
    private final class Storage: Sendable {
        let items = Mutex<[SMPPDelivery]>([])
        let finished = Atomic<Bool>(false)
    }

    private let storage = Storage()
    private let task: Task<Void, Never>

    init(_ client: SMPPClient, autoAcknowledge: Bool = false) {
        let storage = self.storage
        let stream = client.deliveries
        task = Task {
            for await delivery in stream {
                if autoAcknowledge { delivery.acknowledge() }
                storage.items.withLock { $0.append(delivery) }
            }
            storage.finished.store(true, ordering: .releasing)
        }
    }

    var deliveries: [SMPPDelivery] { storage.items.withLock { $0 } }
    var count: Int { storage.items.withLock { $0.count } }
    var isFinished: Bool { storage.finished.load(ordering: .acquiring) }

    func waitFor(count: Int, timeout: Duration = .seconds(30)) async throws -> [SMPPDelivery] {
        try await eventually("\(count) deliveries", timeout: timeout) { self.count >= count }
        return deliveries
    }
}

/// A bare SMPP connection for protocol-level checks of the simulator (no client logic).
final class RawSession {
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var sequence: UInt32 = 0

    init(inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.iterator = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    func sendRaw(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    /// Sends a request with the next sequence number and returns that number.
    @discardableResult
    func send(_ body: PDUBody) async throws -> UInt32 {
        sequence += 1
        try await sendRaw(PDUCodec.encode(PDU(body: body, sequenceNumber: sequence)))
        return sequence
    }

    /// The next PDU from the peer, or nil when the connection closed.
    func receive() async throws -> PDU? {
        guard let frame = try await iterator.next() else { return nil }
        return try PDUCodec.decode(frame: frame)
    }

    func request(_ body: PDUBody) async throws -> PDU? {
        try await send(body)
        return try await receive()
    }
}

func withRawSession<T: Sendable>(port: Int, _ body: (RawSession) async throws -> T) async throws -> T {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMPPFrameDecoder()))
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await body(RawSession(inbound: inbound, outbound: outbound))
    }
}
