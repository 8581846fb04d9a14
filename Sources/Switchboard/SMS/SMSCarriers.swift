import Foundation

/// The carriers this node can send through, by name, and which one a sender's messages take: an operator's number
/// goes out through the carrier that holds it; sandbox numbers and alphanumeric sender ids through the sandbox
/// unless a carrier is configured for the resource's geography.
public struct SMSCarriers: Sendable {
    let carriers: [String: any SMSCarrier]
    let inventory: NumberInventory
    /// A geography's default carrier (`--sms-carrier NAME=…` bound to a geography), else the sandbox.
    let defaults: [Geography: String]

    init(_ carriers: [any SMSCarrier], inventory: NumberInventory, defaults: [Geography: String] = [:]) {
        self.carriers = Dictionary(carriers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.inventory = inventory
        self.defaults = defaults
    }

    func carrier(named name: String) -> (any SMSCarrier)? { carriers[name] }

    /// The carrier `sender`'s messages go out through; 400 when it is one this node has no connection to (a number
    /// held at a carrier not configured here must not silently go to the sandbox).
    func route(from sender: MessagingSender, in resource: ResourceHandle) async throws -> String {
        if sender.kind == .phoneNumber, let held = try await inventory.entry(sender.value)?.carrier {
            guard carriers[held] != nil else {
                throw APIError.badRequest(
                    code: "CarrierNotConfigured",
                    "\(sender.value) is held at the carrier '\(held)', which this server has no connection to (--sms-carrier).",
                    target: "from")
            }
            return held
        }
        return defaults[resource.geography] ?? SandboxSMSCarrier.name
    }
}
