import Foundation

/// One identifier of a person, as the application knows them (the residency document: only the application can
/// relate a human to their identities, numbers and addresses). Stored data that concerns a person carries a blind
/// index of such an identifier, so it can be found and erased without the identifier being stored in clear.
public enum SubjectIdentifier: Hashable, Sendable, Codable {
    /// A communication user's raw id (`8:acs:…`).
    case communicationUser(String)
    /// An E.164 phone number.
    case phoneNumber(String)
    /// An email address.
    case emailAddress(String)

    var indexKind: BlindIndexKind {
        switch self {
        case .communicationUser: .communicationUser
        case .phoneNumber: .phoneNumber
        case .emailAddress: .emailAddress
        }
    }

    var value: String {
        switch self {
        case .communicationUser(let value), .phoneNumber(let value), .emailAddress(let value): value
        }
    }
}

extension ResourceCrypto {
    /// The blind index stored with data that concerns `subject` (the `subject_index` columns).
    public func subjectIndex(_ subject: SubjectIdentifier) -> Data {
        blindIndex(subject.value, kind: subject.indexKind)
    }
}
