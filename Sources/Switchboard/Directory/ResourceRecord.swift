import Foundation

/// A resource as the directory stores it. Its keys are sealed by the master key.
public struct ResourceRecord: Sendable, Equatable {
    public enum State: String, Sendable {
        /// In service.
        case active
        /// Being deleted: refused by the API while its data is purged from its store.
        case deleting
    }

    public let id: UUID
    public let name: String
    public let geography: Geography
    public var state: State
    public let createdAt: Timestamp
    public var sealedPrimaryKey: Data
    public var sealedSecondaryKey: Data
    public let sealedDataKey: Data
    public let sealedTokenKey: Data
}

/// The two access keys of a resource; either signs requests.
public enum AccessKeySlot: String, Sendable, CaseIterable {
    case primary
    case secondary

    var purpose: KeyPurpose {
        switch self {
        case .primary: .primaryAccessKey
        case .secondary: .secondaryAccessKey
        }
    }

    var column: String {
        switch self {
        case .primary: "primary_key"
        case .secondary: "secondary_key"
        }
    }
}
