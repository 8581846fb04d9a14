/// What a stored event or queued delivery belongs to, so that deleting that thing withdraws them with it: a chat
/// thread and one of its messages, an SMS send and one of its recipients, an email operation.
///
/// Two levels: `scope` (the conversation or operation, namespaced by capability, e.g. `chat:19:…@thread.v2`) and an
/// optional `item` inside it (a message id). Removing by a scope alone removes its items too.
public struct Correlation: Sendable, Hashable, Codable {
    public var scope: String
    public var item: String?

    public init(scope: String, item: String? = nil) {
        self.scope = scope
        self.item = item
    }
}
