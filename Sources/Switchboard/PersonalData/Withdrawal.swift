extension Transaction {
    /// Removes the logged events and the queued, delivered or dead-lettered deliveries that belong to
    /// `correlation` (its scope, and every item in it when it names none): their content was deleted, so nothing of
    /// it may be delivered, replayed or redelivered. `keepingEvents` are events to leave in the log (the deletion's
    /// own, say).
    public func withdraw(_ correlation: Correlation, keepingEvents: [Int64] = []) async throws {
        try await Outbox.withdraw(correlatedWith: correlation, resource: resource, in: db)
        try await EventLog.remove(correlatedWith: correlation, keeping: keepingEvents, resource: resource, in: db)
    }

    /// Removes the logged events and deliveries whose action or content belongs to `subject`.
    public func withdraw(concerning subject: SubjectIdentifier) async throws {
        try await Outbox.withdraw(concerning: subject, resource: resource, in: db)
        try await EventLog.remove(concerning: subject, resource: resource, in: db)
    }
}
