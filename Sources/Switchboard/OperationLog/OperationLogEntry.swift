import Foundation

/// One entry of a resource's operational log, as written.
public struct OperationLogEntry: Sendable {
    public enum Category: String, Sendable, Codable, CaseIterable {
        /// An API operation: route template, status, duration, caller.
        case api
        /// A request refused because its credentials did not check.
        case authentication
        /// A delivery attempt: webhooks, SMS, email — status and the receiver's answer.
        case delivery
        /// A policy gate decision: allowed, or refused with its code.
        case policy
    }

    public enum Caller: Sendable, Equatable {
        case accessKey
        case user(String)
        case anonymous
    }

    public var category: Category
    public var operation: String
    public var status: String
    public var duration: Duration?
    public var caller: Caller?
    /// The person the entry is about, when known in clear (a decision's recipient). Sealed at rest, and indexed.
    public var subject: SubjectIdentifier?
    /// The people the entry concerns, by their blind index (never the values).
    public var subjectIndexes: [Data]
    /// Not content: a receiver's answer or a reason. Sealed at rest.
    public var details: String?
    public var requestID: String?
    public var time: Timestamp

    public init(
        category: Category, operation: String, status: String, duration: Duration? = nil, caller: Caller? = nil,
        subject: SubjectIdentifier? = nil, subjectIndexes: [Data] = [],
        details: String? = nil, requestID: String? = nil, time: Timestamp
    ) {
        self.category = category
        self.operation = operation
        self.status = status
        self.duration = duration
        self.caller = caller
        self.subject = subject
        self.subjectIndexes = subjectIndexes
        self.details = details
        self.requestID = requestID
        self.time = time
    }
}

/// An entry as the API shows it.
public struct OperationLogView: Codable, Sendable {
    public let id: String
    public let time: Date
    public let category: String
    public let operation: String
    public let status: String
    public let durationMs: Int64?
    public let callerType: String?
    public let caller: String?
    /// The person the entry is about (a phone number, an address), when it names one.
    public let subject: String?
    public let details: String?
    public let requestId: String?
}
