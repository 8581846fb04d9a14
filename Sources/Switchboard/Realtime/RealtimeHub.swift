import Foundation
import Logging
import SQLKit

/// Delivers a resource's events to the real-time sessions of its users, on this node.
///
/// The event log is the source of truth; notifications only wake the hub. For each resource with sessions the
/// hub keeps a cursor and, when woken, reads the log after it and hands each event to the sessions of its
/// recipients. Wake-ups come from this node after a commit and, on PostgreSQL, from every node through
/// `LISTEN/NOTIFY`, so a message sent through one node reaches a WebSocket held on another.
public actor RealtimeHub: CommitObserver, TokenInvalidationListener {
    struct Channel {
        let resource: ResourceHandle
        var cursor: Int64
        var sessions: [UUID: RealtimeSession] = [:]
        var pumping = false
        var wokenWhilePumping = false
    }

    private var channels: [UUID: Channel] = [:]
    private var listeners: [DatabaseLocation: Task<Void, Never>] = [:]
    private let catalog: EventCatalog
    private let logger: Logger
    static let notificationChannel = "switchboard_events"

    public init(catalog: EventCatalog, logger: Logger) {
        self.catalog = catalog
        self.logger = logger
    }

    // MARK: CommitObserver

    public func committed(_ work: CommittedWork, resource: ResourceHandle) {
        if work.contains(.events) { wake(resource.id) }
    }

    func wake(_ resourceID: UUID) {
        guard var channel = channels[resourceID] else { return }
        if channel.pumping {
            channel.wokenWhilePumping = true
            channels[resourceID] = channel
            return
        }
        channel.pumping = true
        channels[resourceID] = channel
        Task { await self.pump(resourceID) }
    }

    func wakeAll() {
        for id in channels.keys { wake(id) }
    }

    // MARK: Sessions

    /// Adds a session; returns the cursor from which it will receive events live (it replays up to there itself).
    func register(_ session: RealtimeSession) async throws -> Int64 {
        let id = session.resource.id
        if channels[id] == nil {
            let last = try await session.resource.store.read { db in
                try await EventLog.lastID(resource: session.resource, in: db)
            }
            startListening(to: session.resource.store)
            // Another session of the resource may have opened the channel while the log was read.
            var channel = channels[id] ?? Channel(resource: session.resource, cursor: last)
            channel.sessions[session.id] = session
            channels[id] = channel
        } else {
            channels[id]?.sessions[session.id] = session
        }
        let cursor = channels[id]?.cursor ?? 0
        wake(id)
        return cursor
    }

    func unregister(_ session: RealtimeSession) {
        channels[session.resource.id]?.sessions[session.id] = nil
        if channels[session.resource.id]?.sessions.isEmpty == true, channels[session.resource.id]?.pumping == false {
            channels[session.resource.id] = nil
        }
    }

    /// Ends the sessions of a user whose tokens were revoked or who was deleted (sessions on other nodes notice
    /// at their next re-validation).
    public func tokensInvalidated(of user: UserID, resource: ResourceHandle) {
        for session in channels[resource.id]?.sessions.values ?? [:].values where session.user == user.rawID {
            session.revoke()
        }
    }

    /// The number of open sessions on this node.
    public var sessionCount: Int { channels.values.reduce(0) { $0 + $1.sessions.count } }

    private func pump(_ resourceID: UUID) async {
        while let channel = channels[resourceID] {
            let events: [LoggedEvent]
            do {
                events = try await channel.resource.store.read { db in
                    try await EventLog.events(after: channel.cursor, scopes: nil, resource: channel.resource, limit: 500, in: db)
                }
            } catch {
                logger.error("real-time delivery failed to read the event log", metadata: ["error": "\(DatabaseErrorDescription.describe(error))"])
                events = []
            }
            guard var current = channels[resourceID] else { return }
            for event in events {
                // Decoded once for every session it goes to.
                guard let frame = catalog.decode(event)?.realtimeFrame else { continue }
                let recipients = Set(event.recipients)
                for session in current.sessions.values where recipients.contains(session.user) {
                    session.deliver(RealtimeDelivery(cursor: event.id, frame: frame))
                }
            }
            if let last = events.last { current.cursor = max(current.cursor, last.id) }
            if events.isEmpty {
                if current.wokenWhilePumping {
                    current.wokenWhilePumping = false
                    channels[resourceID] = current
                    continue
                }
                current.pumping = false
                channels[resourceID] = current.sessions.isEmpty ? nil : current
                return
            }
            channels[resourceID] = current
        }
    }

    // MARK: Other nodes

    /// Where the store announces commits (PostgreSQL), follows them so events committed by other nodes wake this one.
    private func startListening(to store: any Database) {
        guard let source = store.notifications, listeners[store.location] == nil else { return }
        let logger = logger
        listeners[store.location] = Task {
            await source.listen(on: Self.notificationChannel, logger: logger) { payload in
                if let id = UUID(uuidString: payload) {
                    await self.wake(id)
                } else {
                    await self.wakeAll()
                }
            }
        }
    }

    /// Stops following notifications and closes every session.
    public func shutdown() async {
        for task in listeners.values { task.cancel() }
        listeners = [:]
        for channel in channels.values {
            for session in channel.sessions.values { session.finish() }
        }
        channels = [:]
    }
}

/// Tells the real-time hubs of every node that a resource's log grew: `NOTIFY`, sent when the appending transaction
/// commits, where the store has listeners (this node's hub is also woken by ``Changes`` after the commit).
struct RealtimeNotification: EventLogConsumer {
    func appended(_ events: [AppendedEvent], in tx: Transaction) async throws {
        try await tx.db.notifyOnCommit(channel: RealtimeHub.notificationChannel, payload: tx.resource.storageID)
    }
}
