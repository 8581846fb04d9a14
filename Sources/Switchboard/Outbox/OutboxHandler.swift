import Foundation
import SQLKit

/// Delivers one kind of outbox row: webhooks, and each carrier. It brings its own retry schedule and dead-letter
/// policy, since receivers differ: Event Grid retries webhooks for a day, an SMSC's throttling asks for a pause of
/// seconds, an SMTP 4xx for minutes.
public protocol OutboxHandler: Sendable {
    /// The `kind` of the rows it delivers.
    var kind: String { get }
    /// When a row is tried again after a failure that may pass.
    var retrySchedule: RetrySchedule { get }
    /// What becomes of rows given up on.
    var deadLetters: DeadLetterPolicy { get }
    /// How many rows of one target may travel in one delivery.
    func batchLimit(target: String, resource: ResourceHandle) async -> Int
    /// Delivers rows of one resource and target; returns one result per row, in order.
    func deliver(_ items: [OutboxItem], resource: ResourceHandle) async -> [DeliveryResult]
    /// What a row would send, kept with it when it is given up on before an attempt (its time to live ran out).
    func snapshot(_ item: OutboxItem, resource: ResourceHandle) async -> Data?
}

/// The outcome of delivering one row.
public struct DeliveryResult: Sendable {
    public enum Disposition: Sendable {
        /// The receiver accepted it.
        case delivered
        /// A transient failure: try again later (within the row's attempts and time to live).
        case retry
        /// The receiver refused it for good: straight to the dead-letter store.
        case reject
        /// Nothing to deliver any more (its content was deleted).
        case drop
        /// Not attempted this time (the batch was full): goes with the next batch, no attempt counted.
        case deferred
        /// Not attempted: the receiver's pace allows it only later (`retryAfter` from now, a carrier's rate for the
        /// sender); no attempt is counted.
        case postponed
    }

    public var disposition: Disposition
    public var status: Int?
    public var error: String?
    /// What was sent, kept if the row ends in the dead-letter store.
    public var snapshot: Data?
    /// A pause the receiver asked for (`Retry-After`, an SMSC's throttling), instead of the handler's schedule.
    public var retryAfter: Duration?
    public var duration: Duration = .zero
    /// What the delivery learned that is written with its outcome (a carrier's ids, for the receipts to come).
    public var commit: DeliveryCommit?

    public init(
        _ disposition: Disposition, status: Int? = nil, error: String? = nil, snapshot: Data? = nil, retryAfter: Duration? = nil,
        commit: DeliveryCommit? = nil
    ) {
        self.disposition = disposition
        self.status = status
        self.error = error
        self.snapshot = snapshot
        self.retryAfter = retryAfter
        self.commit = commit
    }
}

/// A write that belongs with a batch's outcomes: the worker runs it in the transaction that records them, so a batch
/// costs one transaction after it was sent, not one of the handler's and one of the outbox's. Results of a batch may
/// share one; it runs once. If that transaction fails, nothing of it is kept and the rows are delivered again once
/// their lease ends, as after a crash. `committed` runs once it is durable.
public final class DeliveryCommit: Sendable {
    let write: @Sendable (any SQLDatabase, Timestamp) async throws -> Void
    let committed: @Sendable () -> Void

    public init(
        write: @escaping @Sendable (_ db: any SQLDatabase, _ now: Timestamp) async throws -> Void, committed: @escaping @Sendable () -> Void = {}
    ) {
        self.write = write
        self.committed = committed
    }
}

/// When to try again: a list of delays, the last repeating, each with a random jitter (±10 % by default) so the
/// retries of a burst spread out.
public struct RetrySchedule: Sendable {
    public var delays: [Duration]
    /// The largest fraction a delay is lengthened or shortened by.
    public var jitter: Double

    public init(delays: [Duration], jitter: Double = 0.1) {
        self.delays = delays.isEmpty ? [.seconds(10)] : delays
        self.jitter = max(0, min(jitter, 1))
    }

    /// Event Grid's schedule: 10 s, 30 s, 1 min, 5 min, 10 min, 30 min, 1 h, 3 h, 6 h, then every 12 h up to the
    /// time to live.
    public static let eventGrid = RetrySchedule(delays: [
        .seconds(10), .seconds(30), .seconds(60), .seconds(300), .seconds(600), .seconds(1800), .seconds(3600),
        .seconds(10_800), .seconds(21_600), .seconds(43_200),
    ])

    /// The delay after the `attempt`-th failed attempt (1-based).
    public func delay(after attempt: Int) -> Duration {
        let base = delays[min(max(attempt, 1), delays.count) - 1]
        guard jitter > 0 else { return base }
        return base * Double.random(in: (1 - jitter)...(1 + jitter))
    }
}

/// What becomes of rows a handler gave up on.
public struct DeadLetterPolicy: Sendable {
    /// How long they are kept for listing and redelivery.
    public var retention: Duration
    /// Whether they keep a snapshot of what they would have sent (needed to redeliver them). Channels whose
    /// content must not outlive its delivery (SMS, email) keep none.
    public var keepsSnapshot: Bool

    public init(retention: Duration, keepsSnapshot: Bool) {
        self.retention = retention
        self.keepsSnapshot = keepsSnapshot
    }

    /// Kept a week with what they would have sent, for listing and redelivery (webhooks, as Event Grid's dead-letter
    /// destinations).
    public static let keepForAWeek = DeadLetterPolicy(retention: .seconds(7 * 86_400), keepsSnapshot: true)

    /// Kept a day without their content, for listing only (carriers: a message's body must not outlive its delivery,
    /// and what becomes of the message is told by its own status and report).
    public static let withoutContent = DeadLetterPolicy(retention: .seconds(86_400), keepsSnapshot: false)
}
