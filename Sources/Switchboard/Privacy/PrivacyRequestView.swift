import Foundation

/// A privacy request as its operation status shows it: the long-running operation's `status`, and once it
/// succeeded, an erasure's signed receipt (and what it says) or where an export's archive is.
public struct PrivacyRequestView: Encodable, Sendable {
    public struct ErrorBody: Encodable, Sendable {
        public let code: String
        public let message: String
    }

    public let id: String
    public let kind: PrivacyService.Kind
    public let status: PrivacyService.Status
    public let identifierCount: Int
    public let createdOn: Date
    public var startedOn: Date?
    public var finishedOn: Date?
    public var error: ErrorBody?
    /// An erasure's receipt: a JWS signed with the resource's key.
    public var receipt: String?
    /// What an erasure erased, by category and kind (the receipt's `erased`).
    public var erased: [String: ErasedItems]?
    /// An export's archive, while it is kept (set by the API, which knows the endpoint).
    public var archiveLocation: String?

    init(id: String, kind: PrivacyService.Kind, status: PrivacyService.Status, identifierCount: Int, createdAt: Timestamp) {
        self.id = id
        self.kind = kind
        self.status = status
        self.identifierCount = identifierCount
        self.createdOn = createdAt.date
    }

    init(_ request: PrivacyStore.Request) {
        self.init(
            id: request.id, kind: request.kind, status: request.status, identifierCount: request.identifierCount, createdAt: request.createdAt)
        startedOn = request.startedAt?.date
        finishedOn = request.finishedAt?.date
        if request.status == .failed {
            error = ErrorBody(code: "PrivacyRequestFailed", message: request.error ?? "The request failed.")
        }
        if request.kind == .erasure {
            erased = request.tally?.erased
            if request.status == .succeeded, let result = request.result { receipt = String(decoding: result, as: UTF8.self) }
        }
    }

    /// Whether an export's archive can be downloaded.
    var hasArchive: Bool { kind == .export && status == .succeeded }
}
