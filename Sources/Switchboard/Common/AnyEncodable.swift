/// Any encodable value, encoded as itself: lets an envelope hold data whose type only its capability knows,
/// without a detour through an untyped JSON tree.
public struct AnyEncodable: Encodable, Sendable {
    public let value: any Encodable & Sendable

    public init(_ value: any Encodable & Sendable) {
        self.value = value
    }

    public func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
    }
}
