/// A user name and password for AUTH PLAIN or AUTH LOGIN (RFC 4954). The password never appears
/// in `description`.
public struct SMTPCredentials: Sendable, Equatable, CustomStringConvertible {
    /// The authentication identity.
    public var username: String
    /// The password.
    public var password: String

    /// Credentials for AUTH.
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// The user name only: the password is never shown.
    public var description: String { "SMTPCredentials(username: \(username), password: <redacted>)" }
}
