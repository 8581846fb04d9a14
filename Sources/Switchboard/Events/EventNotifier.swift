/// Wakes whatever follows a resource's event log (real-time sessions) after events were committed.
public protocol EventNotifier: Sendable {
    /// - Parameter queuedDeliveries: whether the transaction also queued outbox rows (webhook deliveries).
    func eventsCommitted(resource: ResourceHandle, queuedDeliveries: Bool) async
}

/// A notifier that does nothing, for tools that change data without serving.
public struct SilentEventNotifier: EventNotifier {
    public init() {}
    public func eventsCommitted(resource: ResourceHandle, queuedDeliveries: Bool) async {}
}

/// Forwards to several notifiers (real-time delivery and the outbox workers).
public struct CompositeNotifier: EventNotifier {
    let notifiers: [any EventNotifier]

    public init(_ notifiers: [any EventNotifier]) {
        self.notifiers = notifiers
    }

    public func eventsCommitted(resource: ResourceHandle, queuedDeliveries: Bool) async {
        for notifier in notifiers { await notifier.eventsCommitted(resource: resource, queuedDeliveries: queuedDeliveries) }
    }
}
