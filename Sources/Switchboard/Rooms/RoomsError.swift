import HTTPTypes

/// What the Rooms API refuses, in the shapes ACS answers: a malformed or out-of-bounds field is a 400 `BadRequest`
/// whose detail (`BadArgument`) names the field; a room this resource does not have is a 404 `NotFound`.
public enum RoomsError: Error, Equatable, Sendable, APIErrorConvertible {
    case roomNotFound
    case invalidRoomID
    /// A field out of bounds: its message and the field ACS names (`ValidFrom`, `ValidUntil`, `Participants`, …).
    case badArgument(String, target: String)
    case invalidIdentifier(String)
    case notAUserOfThisResource(String)
    case identityNotFound(String)
    case notACommunicationUser(String)
    case tooManyParticipants(Int)

    static let malformed = "The request could not be understood by the server due to malformed syntax."

    public var apiError: APIError {
        switch self {
        case .roomNotFound:
            .notFound("The server cannot find the requested resource.")
        case .invalidRoomID:
            .badRequest("Invalid room ID length.", target: "roomId")
        case .badArgument(let message, let target):
            Self.detailed(message, target: target)
        case .invalidIdentifier(let rawID):
            .badRequest("Invalid format for communication identifier.", target: rawID)
        case .notAUserOfThisResource(let rawID):
            Self.detailed("The participant '\(rawID)' is not a communication user of this resource.", target: rawID)
        case .identityNotFound(let rawID):
            Self.detailed("The identity '\(rawID)' does not exist in this resource.", target: rawID)
        case .notACommunicationUser(let rawID):
            Self.detailed("Only communication users can take part in a room; '\(rawID)' is not one.", target: rawID)
        case .tooManyParticipants(let limit):
            Self.detailed("A room can have at most \(limit) participants.", target: "Participants")
        }
    }

    static func detailed(_ message: String, target: String) -> APIError {
        var error = APIError.badRequest(malformed)
        error.details = [APIError(status: .badRequest, code: "BadArgument", message: message, target: target)]
        return error
    }
}
