/// What a user access token allows, as the Identity API names it.
public enum TokenScope: String, Sendable, CaseIterable, Codable {
    /// Full chat: create threads, send, read.
    case chat
    /// Calling.
    case voip
    /// Join existing chat threads the user was added to; no thread creation.
    case chatJoin = "chat.join"
    /// As `chat.join`, without adding or removing participants.
    case chatJoinLimited = "chat.join.limited"
    /// Join existing calls.
    case voipJoin = "voip.join"

    /// The bits the `scp` claim carries for this scope (`chat` is 1792, as in tokens ACS issues).
    var claimBits: Int {
        switch self {
        case .chat: 0x700
        case .voip: 0x800
        case .chatJoin: 0x1000
        case .chatJoinLimited: 0x2000
        case .voipJoin: 0x4000
        }
    }

    /// The error text listing the valid scopes.
    static var validList: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

extension Set where Element == TokenScope {
    /// Whether the scopes allow chat at all: `chat`, `chat.join` or `chat.join.limited`. The one rule the Chat API
    /// and the real-time endpoint (which carries chat) both apply.
    public var allowsChat: Bool { !isDisjoint(with: [.chat, .chatJoin, .chatJoinLimited]) }
}
