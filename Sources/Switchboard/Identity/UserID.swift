import Foundation

/// The id of a communication user of a resource: `8:acs:<resource id>_<user id>`, with exactly one `_` (raw ids
/// with two are Teams extension users in newer SDKs).
public struct UserID: Hashable, Sendable, CustomStringConvertible {
    public let resourceID: UUID
    public let userID: UUID

    public init(resourceID: UUID, userID: UUID) {
        self.resourceID = resourceID
        self.userID = userID
    }

    /// Parses a raw id; `nil` when it is not a communication user id of this form.
    public init?(rawID: String) {
        guard rawID.hasPrefix("8:acs:") else { return nil }
        let parts = rawID.dropFirst("8:acs:".count).split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2, let resource = UUID(uuidString: String(parts[0])),
            let user = UUID(uuidString: String(parts[1]))
        else { return nil }
        self.init(resourceID: resource, userID: user)
    }

    public var rawID: String {
        "8:acs:\(resourceID.uuidString.lowercased())_\(userID.uuidString.lowercased())"
    }

    public var description: String { rawID }
}
