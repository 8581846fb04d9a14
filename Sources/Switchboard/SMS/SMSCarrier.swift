import Foundation

/// One message for a carrier: who sends it to whom, what it says and how it is split.
public struct SMSSubmission: Sendable {
    public let messageID: String
    public let resource: ResourceHandle
    public let from: String
    public let to: String
    public let text: String
    public let segments: Int
    /// Whether the carrier should report delivery (SMPP `registered_delivery`). Switchboard always asks, so a
    /// message's status settles whether or not the application wants the report.
    public let wantsReceipt: Bool
}

/// What a carrier answered to one submission.
public enum SMSSubmitOutcome: Sendable, Equatable {
    /// Accepted: the carrier's ids of the message's segments, in order; its receipts name them.
    case accepted([String])
    /// A failure that may pass (throttled, queue full, not connected): try again, after `after` if the carrier said.
    case retry(String, after: Duration?)
    /// Refused for good (an invalid destination, a barred sender): the message failed.
    case failed(String)
}

/// A carrier's report on a message it accepted.
public struct SMSReceipt: Sendable {
    public enum Status: String, Sendable, Codable {
        case delivered, failed, expired
    }

    public let carrier: String
    public let carrierMessageID: String
    public let status: Status
    /// In words, from the carrier (`UNDELIV err:001`).
    public let details: String?
    public let at: Timestamp

    public init(carrier: String, carrierMessageID: String, status: Status, details: String?, at: Timestamp) {
        self.carrier = carrier
        self.carrierMessageID = carrierMessageID
        self.status = status
        self.details = details
        self.at = at
    }
}

/// A message a handset sent to one of the resource's numbers.
public struct SMSInbound: Sendable {
    public let carrier: String
    public let from: String
    public let to: String
    public let text: String
    public let segments: Int

    public init(carrier: String, from: String, to: String, text: String, segments: Int) {
        self.carrier = carrier
        self.from = from
        self.to = to
        self.text = text
        self.segments = segments
    }
}

/// Where a carrier hands what comes back: receipts and inbound messages. It returns once what it was handed is
/// committed, so a carrier acknowledges it to its peer only then (an SMSC redelivers what was not acknowledged).
public protocol SMSTrafficSink: Sendable {
    /// Records receipts (together where they belong to one resource); returns, for each, whether its message was
    /// found (a receipt can outrun the record of its submission).
    func receipts(_ receipts: [SMSReceipt]) async throws -> [Bool]
    func inbound(_ message: SMSInbound) async throws
}

/// A way out to handsets: the sandbox, an SMPP bind, later an HTTP aggregator. The outbox drives it: a batch of
/// submissions of one carrier at a time, four windows of them (``SMSSubmitHandler/windowsPerBatch``); the carrier
/// keeps at most a window outstanding and queues the rest.
public protocol SMSCarrier: Sendable {
    /// The name messages are routed by (an inventory's carrier, `--sms-carrier NAME=…`).
    var name: String { get }
    /// How many submissions may be outstanding at once.
    var window: Int { get }
    /// Submits `messages`; one outcome each, in order.
    func submit(_ messages: [SMSSubmission]) async -> [SMSSubmitOutcome]
    /// The outbox committed the ids of accepted submissions: receipts that outran them can be matched now.
    func submissionsRecorded()
}

extension SMSCarrier {
    public func submissionsRecorded() {}
}
