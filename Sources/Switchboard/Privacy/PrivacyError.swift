import HTTPTypes

/// What the privacy APIs refuse.
public enum PrivacyError: Error, Equatable, Sendable, APIErrorConvertible {
    case noIdentifiers
    case tooManyIdentifiers(limit: Int)
    case invalidIdentifier(String, target: String)
    case requestNotFound(String, kind: PrivacyService.Kind)
    case notFinished(String, status: PrivacyService.Status)
    case archiveExpired(String)

    public var apiError: APIError {
        switch self {
        case .noIdentifiers:
            .badRequest(
                code: "InvalidRequest", "Name the person by at least one of communicationUserIds, phoneNumbers and emailAddresses.",
                target: "identifiers")
        case .tooManyIdentifiers(let limit):
            .badRequest(code: "InvalidRequest", "A request names at most \(limit) identifiers (one person's).", target: "identifiers")
        case .invalidIdentifier(let message, let target):
            .badRequest(code: "InvalidIdentifier", message, target: target)
        case .requestNotFound(let id, let kind):
            .notFound(code: "OperationNotFound", "There is no \(kind.rawValue) '\(id)'.", target: "operationId")
        case .notFinished(let id, let status):
            .conflict(code: "OperationNotFinished", "The export '\(id)' is \(status.rawValue); its archive exists once it Succeeded.")
        case .archiveExpired(let id):
            APIError(
                status: .gone, code: "ArchiveExpired",
                message: "The archive of export '\(id)' was erased (archives are kept a day, and go when their person is erased).")
        }
    }
}
