/// The limits chat enforces, ACS's published ones by default. An operator may raise them (as ACS does on request).
public struct ChatLimits: Sendable {
    public var maxParticipants = 250
    public var maxMessageBytes = 28 * 1024
    public var maxTopicLength = 256
    public var maxMetadataBytes = 1024
    public var maxDisplayNameLength = 256
    /// Messages a thread accepts per window before answering 429.
    public var messagesPerWindow = 10
    public var windowSeconds = 10
    /// Read receipts and typing indicators fan out only in threads up to this size.
    public var maxFanoutParticipants = 20
    public var defaultPageSize = 100
    public var maxPageSize = 250

    public init() {}
}
