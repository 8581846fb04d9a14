import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import SMPP
import ServiceLifecycle
import Synchronization

/// An SMSC reached over SMPP 3.4: one transceiver bind kept up while the server runs (reconnecting with backoff),
/// a window of outstanding `submit_sm`, and the `deliver_sm` it sends — delivery receipts and mobile-originated
/// messages — handed to the SMS service and acknowledged only once committed, so the SMSC redelivers what a crash
/// interrupted. Unbinds on shutdown.
final class SMPPCarrier: SMSCarrier, Service {
    let configuration: SMPPCarrierConfiguration
    let sink: SMSTrafficRelay
    let logger: Logger
    private let current = Mutex<SMPPClient?>(nil)
    /// The receipts of the current bind waiting to be recorded.
    private let receiptQueue = Mutex<ReceiptQueue?>(nil)
    /// Successful binds since start (a reconnection adds one).
    let binds = Atomic<Int>(0)

    var name: String { configuration.name }
    /// How long a receipt for a message not (yet) known is tried again before it is dropped.
    static let receiptPatience: Duration = .seconds(5)
    var window: Int { configuration.window }

    init(configuration: SMPPCarrierConfiguration, sink: SMSTrafficRelay, logger: Logger) {
        self.configuration = configuration
        self.sink = sink
        var logger = logger
        logger[metadataKey: "carrier"] = "\(configuration.name)"
        self.logger = logger
    }

    // MARK: The bind

    func run() async throws {
        var backoff: Duration = .seconds(1)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let client: SMPPClient
            do {
                client = try await connect()
            } catch {
                logger.warning("binding to the SMSC failed", metadata: ["error": "\(Self.describe(error))", "retry.in": "\(backoff)"])
                let pause = backoff
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
                backoff = min(backoff * 2, .seconds(60))
                continue
            }
            backoff = .seconds(1)
            logger.info("bound to the SMSC", metadata: ["smsc": "\(client.bindResponse.systemID)"])
            current.withLock { $0 = client }
            binds.add(1, ordering: .relaxed)
            await withGracefulShutdownHandler {
                await receive(from: client)
            } onGracefulShutdown: {
                Task { await client.close() }
            }
            current.withLock { $0 = nil }
            if !Task.isShuttingDownGracefully {
                logger.warning("the SMSC connection closed; binding again")
            }
        }
    }

    func connect() async throws -> SMPPClient {
        let settings = configuration.client
        guard configuration.tls else { return try await SMPPClient.connect(configuration: settings) }
        let context = try NIOSSLContext(configuration: .makeClientConfiguration())
        let host = configuration.host
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: host))
                }
            }
            .connect(host: configuration.host, port: configuration.port).get()
        return try await SMPPClient.bind(channel: channel, configuration: settings)
    }

    /// Hands every `deliver_sm` to the service until the connection closes. Receipts are recorded in batches —
    /// everything that arrived while the previous batch was being written, in one transaction per resource — and
    /// acknowledged once recorded. A receipt that outruns the record of its submission (a fast SMSC answers before
    /// the submission's ids are committed) waits aside, holding up nothing behind it. Inbound messages go one by one.
    func receive(from client: SMPPClient) async {
        var assembler = ConcatenatedMessageAssembler()
        let queue = ReceiptQueue()
        receiptQueue.withLock { $0 = queue }
        defer { receiptQueue.withLock { $0 = nil } }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.record(queue) }
            for await delivery in client.deliveries {
                do {
                    if let receipt = delivery.receipt {
                        if let status = Self.status(of: receipt.state) {
                            queue.push(
                                SMSReceipt(
                                    carrier: name, carrierMessageID: receipt.messageID, status: status,
                                    details: "\(receipt.state.receiptWord) err:\(receipt.errorCode ?? "000")", at: sink.now), delivery)
                            continue
                        }
                    } else if let message = assembler.add(delivery.pdu) {
                        try await sink.inbound(
                            SMSInbound(
                                carrier: name, from: Self.e164(message.source), to: Self.e164(message.destination), text: message.text,
                                segments: message.parts.count))
                    }
                    delivery.acknowledge()
                } catch {
                    // Not committed: the SMSC keeps it and delivers it again.
                    logger.error("a delivery from the SMSC could not be recorded", metadata: ["error": "\(Self.describe(error))"])
                    delivery.acknowledge(.systemError)
                }
            }
            queue.finish()
        }
    }

    /// Records queued receipts a batch at a time until the queue finishes. A receipt whose message is not known yet
    /// is parked and tried again with the others parked, in one batch, when the outbox says it recorded submissions
    /// (``submissionsRecorded()``) or every 50 ms, for ``receiptPatience``.
    func record(_ queue: ReceiptQueue) async {
        await withDiscardingTaskGroup { timers in
            for await _ in queue.signals {
                let batch = queue.drain()
                guard !batch.isEmpty else { continue }
                do {
                    let found = try await sink.receipts(batch.map(\.receipt))
                    let now = ContinuousClock.now
                    var parked: [ReceiptQueue.Entry] = []
                    for (entry, matched) in zip(batch, found) {
                        if matched {
                            entry.delivery.acknowledge()
                        } else if now - entry.arrived < Self.receiptPatience {
                            parked.append(entry)
                        } else {
                            // Never ours, or the submission's ids were lost with a crash (the message was submitted
                            // again).
                            logger.notice("a receipt for an unknown message was dropped")
                            entry.delivery.acknowledge()
                        }
                    }
                    if queue.park(parked) {
                        timers.addTask {
                            try? await Task.sleep(for: .milliseconds(50))
                            queue.wakeParked()
                        }
                    }
                } catch {
                    logger.error("receipts from the SMSC could not be recorded", metadata: ["error": "\(Self.describe(error))"])
                    for entry in batch { entry.delivery.acknowledge(.systemError) }
                }
            }
        }
    }

    /// The outbox recorded the ids of submissions: receipts that outran them are tried again now.
    func submissionsRecorded() {
        receiptQueue.withLock { $0 }?.wakeParked()
    }

    /// The final states of a receipt; intermediate ones (`ENROUTE`, `ACCEPTD`) wait for the next.
    static func status(of state: MessageState) -> SMSReceipt.Status? {
        switch state {
        case .delivered: .delivered
        case .expired: .expired
        case .undeliverable, .rejected, .deleted, .unknown: .failed
        case .enroute, .accepted: nil
        }
    }

    static func e164(_ address: SMPPAddress) -> String {
        address.ton == .alphanumeric || address.address.hasPrefix("+") ? address.address : "+" + address.address
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? SMPPClientError { return "\(error)" }
        if let error = error as? any APIErrorConvertible { return error.apiError.code }
        return String(describing: type(of: error))
    }

    // MARK: Submitting

    func submit(_ messages: [SMSSubmission]) async -> [SMSSubmitOutcome] {
        guard let client = current.withLock({ $0 }), client.isActive else {
            return messages.map { _ in .retry("not bound to the SMSC \(name)", after: .seconds(2)) }
        }
        return await withTaskGroup(of: (Int, SMSSubmitOutcome).self) { group in
            for (index, message) in messages.enumerated() {
                group.addTask { (index, await Self.submit(message, through: client, concatenation: self.configuration.concatenation)) }
            }
            var outcomes = [SMSSubmitOutcome](repeating: .retry("not submitted", after: nil), count: messages.count)
            for await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes
        }
    }

    /// Every segment in order; the first refused ends the message. A refusal that may pass (throttling, a full
    /// queue) is retried as a whole, so segments accepted before it are submitted again.
    static func submit(_ message: SMSSubmission, through client: SMPPClient, concatenation: ConcatenationMethod) async -> SMSSubmitOutcome {
        let source: SMPPAddress = message.from.hasPrefix("+") ? .international(message.from) : .alphanumeric(message.from)
        do {
            let results = try await client.submit(
                text: message.text, from: source, to: .international(message.to),
                registeredDelivery: message.wantsReceipt ? .onSuccessOrFailure : .none, method: concatenation)
            if let refused = results.first(where: { !$0.isSuccess }) {
                if refused.isTransient {
                    let throttled = refused.status == .throttled || refused.status == .messageQueueFull
                    return .retry(refused.status.name, after: throttled ? .seconds(1) : nil)
                }
                return .failed("The SMSC refused the message: \(refused.status.name).")
            }
            return .accepted(results.compactMap(\.messageID))
        } catch {
            return .retry("the SMSC session failed: \(describe(error))", after: nil)
        }
    }
}

/// Where carriers hand receipts and inbound messages: set to the SMS service once it exists (the service routes
/// messages to the carriers, the carriers report to the service).
final class SMSTrafficRelay: SMSTrafficSink, Sendable {
    private let target = Mutex<(any SMSTrafficSink)?>(nil)
    let clock: any WallClock

    init(clock: any WallClock) {
        self.clock = clock
    }

    var now: Timestamp { clock.now }

    func connect(_ sink: any SMSTrafficSink) {
        target.withLock { $0 = sink }
    }

    func receipts(_ receipts: [SMSReceipt]) async throws -> [Bool] {
        guard let sink = target.withLock({ $0 }) else { throw SMSError.invalid("SMS is not ready", target: nil) }
        return try await sink.receipts(receipts)
    }

    func inbound(_ message: SMSInbound) async throws {
        guard let sink = target.withLock({ $0 }) else { throw SMSError.invalid("SMS is not ready", target: nil) }
        try await sink.inbound(message)
    }
}

/// Receipts waiting to be recorded, and a signal that wakes the recorder (coalesced: one wake-up drains all). Receipts
/// whose message was not known yet are parked and join a batch again once woken.
final class ReceiptQueue: Sendable {
    struct Entry: Sendable {
        let receipt: SMSReceipt
        let delivery: SMPPDelivery
        /// When it came from the SMSC (its patience counts from there).
        let arrived: ContinuousClock.Instant
    }

    private struct State {
        var fresh: [Entry] = []
        var parked: [Entry] = []
        /// Whether the parked entries go in the next batch.
        var parkedDue = false
        /// Whether a timer to wake the parked entries is running.
        var timing = false
    }

    private let state = Mutex(State())
    let signals: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (signals, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func push(_ receipt: SMSReceipt, _ delivery: SMPPDelivery) {
        state.withLock { $0.fresh.append(Entry(receipt: receipt, delivery: delivery, arrived: .now)) }
        continuation.yield()
    }

    /// Parks entries to be tried again; returns whether the caller should start the timer that wakes them.
    func park(_ entries: [Entry]) -> Bool {
        state.withLock { state in
            state.parked += entries
            guard !state.parked.isEmpty, !state.timing else { return false }
            state.timing = true
            return true
        }
    }

    /// The parked entries go in the next batch.
    func wakeParked() {
        let due = state.withLock { state in
            state.timing = false
            state.parkedDue = !state.parked.isEmpty
            return state.parkedDue
        }
        if due { continuation.yield() }
    }

    /// At most this many go in one batch (a statement's bind parameters are limited), the rest in the next.
    static let batchLimit = 500

    /// The next batch: fresh receipts first, then the parked ones if they are due.
    func drain() -> [Entry] {
        state.withLock { state in
            var batch = Array(state.fresh.prefix(Self.batchLimit))
            state.fresh.removeFirst(batch.count)
            if state.parkedDue {
                let parked = state.parked.prefix(Self.batchLimit - batch.count)
                batch += parked
                state.parked.removeFirst(parked.count)
                state.parkedDue = !state.parked.isEmpty
            }
            if !state.fresh.isEmpty || state.parkedDue { continuation.yield() }
            return batch
        }
    }

    func finish() {
        continuation.finish()
    }
}
