/// Resource names: 1–63 lower-case letters, digits and hyphens, starting and ending with a letter or digit.
/// A name is the first path segment of the resource's endpoint (`https://host:port/NAME`), so paths outside
/// resources use `/-/…`, which no name can take.
public enum ResourceName {
    public static func validate(_ name: String) throws(ResourceAdministrationError) {
        let allowed = name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
        guard (1...63).contains(name.utf8.count), allowed, name.first != "-", name.last != "-" else {
            throw .invalidName(name)
        }
    }

    static func isValid(_ name: Substring) -> Bool {
        (try? validate(String(name))) != nil
    }
}

/// Why a resource command failed; the message is for the operator.
public enum ResourceAdministrationError: Error, Equatable, CustomStringConvertible, Sendable {
    case invalidName(String)
    case nameTaken(String)
    case notFound(String)
    case deletionInProgress(String)

    public var description: String {
        switch self {
        case .invalidName(let name):
            "'\(name)' is not a valid resource name: use 1-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit"
        case .nameTaken(let name): "a resource named '\(name)' already exists"
        case .notFound(let name): "no resource is named '\(name)'"
        case .deletionInProgress(let name): "the resource '\(name)' is being deleted"
        }
    }
}
