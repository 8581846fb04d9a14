import Mail

/// The email carriers this node can send through and which one a domain's mail takes: the sandbox domain's always the
/// sandbox; a custom domain's the configured SMTP carrier (direct to MX, or a relay), else the sandbox too.
public struct EmailCarriers: Sendable {
    let sandbox: any EmailCarrier
    let outbound: (any EmailCarrier)?

    init(sandbox: any EmailCarrier, outbound: (any EmailCarrier)?) {
        self.sandbox = sandbox
        self.outbound = outbound
    }

    struct Route: Sendable {
        let carrier: any EmailCarrier

        /// The outbox target of a recipient's copy: the carrier's name and its lane for the recipient's domain.
        func target(forRecipient address: MailAddress) -> String {
            "\(carrier.name):\(carrier.lane(forRecipient: address))"
        }
    }

    func route(for kind: EmailStore.Domain.Kind) -> Route {
        Route(carrier: kind == .sandbox ? sandbox : outbound ?? sandbox)
    }

    /// The carrier of an outbox target.
    func carrier(ofTarget target: String) -> (any EmailCarrier)? {
        let name = target.split(separator: ":", maxSplits: 1).first.map(String.init) ?? target
        if name == sandbox.name { return sandbox }
        if let outbound, outbound.name == name { return outbound }
        return nil
    }
}
