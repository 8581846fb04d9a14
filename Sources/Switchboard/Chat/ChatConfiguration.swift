/// Chat's settings (`configuration.chat`).
public struct ChatConfiguration: Sendable {
    /// The limits chat enforces, ACS's by default.
    public var limits = ChatLimits()

    public init() {}
}
