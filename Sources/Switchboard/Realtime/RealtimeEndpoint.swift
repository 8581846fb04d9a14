import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOWebSocket
import Synchronization

/// The real-time endpoint: `wss://HOST:PORT/-/realtime/RESOURCE[?since=CURSOR]`, authenticated with a user
/// access token (`Authorization: Bearer …`, or `access_token=` in the query for browsers, which cannot set
/// headers on WebSockets).
///
/// The server sends JSON text frames: first `{"type":"connected","cursor":N}`, then every event of the user's
/// conversations as `{"cursor":N,"type":"chatMessageReceived","data":{…}}` (the frames each capability's
/// ``EventProjection`` renders). A client that reconnects with `since=<last cursor it saw>` first receives what it
/// missed, then the live stream, in order and without gaps. If `since` is older than the log keeps
/// (``EventLog/retention``), it receives `{"type":"resyncRequired"}` and should reload. The connection closes with
/// 4401 when the token expires or is revoked, and with 1013 when the client reads too slowly to keep up.
public struct RealtimeEndpoint: Sendable {
    let resources: ResourceRegistry
    let userTokens: UserTokenAuthenticator
    let hub: RealtimeHub
    let catalog: EventCatalog
    let clock: any WallClock
    /// How often an open connection re-checks that its token is still valid (revocation, identity deletion).
    let revalidationInterval: Duration

    public init(
        resources: ResourceRegistry, userTokens: UserTokenAuthenticator, hub: RealtimeHub, catalog: EventCatalog, clock: any WallClock,
        revalidationInterval: Duration = .seconds(10)
    ) {
        self.resources = resources
        self.userTokens = userTokens
        self.hub = hub
        self.catalog = catalog
        self.clock = clock
        self.revalidationInterval = revalidationInterval
    }

    static let pathPrefix = "/-/realtime/"

    /// The plain-HTTP answer of the real-time path: a valid upgrade never reaches the HTTP pipeline.
    public var systemRoutes: [SystemRoute] {
        [
            SystemRoute(.get, "/realtime/{resource}", auth: NoCredentials()) { request in
                if request.headers[.upgrade]?.lowercased() == "websocket" { throw APIError.unauthorized() }
                throw APIError(
                    status: .upgradeRequired, code: "UpgradeRequired",
                    message: "This endpoint speaks WebSocket: connect with wss:// and a user access token.",
                    headers: ["Upgrade": "websocket"])
            }
        ]
    }

    /// Accepts WebSocket upgrades of the real-time path; other paths fall through to the HTTP pipeline.
    func shouldUpgrade(_ request: HTTPRequest, logger: Logger) async -> ShouldUpgradeResult<
        WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>
    > {
        guard let target = request.path, target.hasPrefix(Self.pathPrefix) else { return .dontUpgrade }
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
        let name = String(path.dropFirst(Self.pathPrefix.count))
        let query = QueryParameters(target: target)
        var token = query["access_token"]
        if let authorization = request.headerFields[.authorization], let bearer = UserTokenAuthenticator.bearerToken(authorization) {
            token = bearer
        }
        let since = query["since"].flatMap(Int64.init)
        let admission = await admit(resourceName: name, token: token)
        // An HTTP status cannot be chosen once an upgrade is declined (the client only sees 400), so a refused
        // client is upgraded and then told why: 4401 for credentials, 4403 for a token without a chat scope, 1013
        // (try again later) when the database cannot be reached.
        return .upgrade([:]) { inbound, outbound, context in
            let (resource, claims, user): (ResourceHandle, AccessTokenClaims, AuthenticatedUser)
            switch admission {
            case .accepted(let acceptedResource, let acceptedClaims, let acceptedUser):
                (resource, claims, user) = (acceptedResource, acceptedClaims, acceptedUser)
            case .refused(let error, let code, let reason):
                context.logger.notice("real-time connection refused", metadata: ["reason": "\(reason)"])
                try? await send(ControlFrame(type: "error", error: .init(code: error.code, message: error.message)), to: outbound)
                try? await outbound.close(code, reason: reason)
                return
            }
            try await run(
                resource: resource, user: user, claims: claims, since: since, inbound: inbound, outbound: outbound,
                logger: context.logger)
        }
    }

    enum Admission: Sendable {
        case accepted(ResourceHandle, AccessTokenClaims, AuthenticatedUser)
        case refused(APIError, WebSocketErrorCode, reason: String)
    }

    /// Checks the token of a connection attempt: the same checks as a bearer request, and a chat scope, since
    /// everything the connection carries today is chat.
    func admit(resourceName name: String, token: String?) async -> Admission {
        let unauthorized = Admission.refused(APIError.unauthorized(), .unknown(4401), reason: "unauthorized")
        guard ResourceName.isValid(Substring(name)), let token else { return unauthorized }
        do {
            guard let resource = try await resources.handle(named: name) else { return unauthorized }
            let (user, claims) = try await userTokens.authenticate(token: token, resource: resource)
            guard user.scopes.allowsChat else {
                return .refused(ChatError.missingScope("use chat").apiError, .unknown(4403), reason: "forbidden")
            }
            return .accepted(resource, claims, user)
        } catch is AuthenticationFailure {
            return unauthorized
        } catch {
            return .refused(
                APIError.serviceUnavailable("A database is not reachable; retry shortly."), .unknown(1013),
                reason: "try again later")
        }
    }

    func run(
        resource: ResourceHandle, user: AuthenticatedUser, claims: AccessTokenClaims, since: Int64?,
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, logger: Logger
    ) async throws {
        let session = RealtimeSession(resource: resource, user: user.id.rawID)
        let live = try await hub.register(session)
        defer { Task { await hub.unregister(session) } }
        try await send(ControlFrame(type: "connected", cursor: live), to: outbound)
        if let since, since < live {
            try await replay(from: since, through: live, session: session, outbound: outbound)
        }
        let closeCode: WebSocketErrorCode? = await withTaskGroup(of: WebSocketErrorCode?.self) { group in
            group.addTask {
                // Drain what the client sends (pings are answered by the WebSocket layer); ends when it closes.
                do { for try await _ in inbound {} } catch {}
                return nil
            }
            group.addTask {
                for await delivery in session.outgoing {
                    do { try await outbound.write(.text(try delivery.message(for: session.user))) } catch { return nil }
                }
                if Task.isCancelled { return nil }
                return session.revoked.withLock { $0 } ? .unknown(4401) : .unknown(1013)
            }
            group.addTask {
                // Closes the connection when the token expires or stops being valid.
                while !Task.isCancelled {
                    let untilExpiry = Timestamp(milliseconds: Int64(claims.exp) * 1000).duration(since: clock.now)
                    if untilExpiry <= .zero { return .unknown(4401) }
                    try? await clock.sleep(for: min(revalidationInterval, untilExpiry))
                    if Task.isCancelled { return nil }
                    do {
                        _ = try await userTokens.revalidate(claims, resource: resource)
                    } catch is AuthenticationFailure {
                        return .unknown(4401)
                    } catch {
                        // The database is briefly unreachable: keep the connection and check again next time.
                    }
                }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            session.finish()
            return first
        }
        if let closeCode {
            logger.info("real-time connection closed by the server", metadata: ["code": "\(closeCode)"])
            try? await outbound.close(closeCode, reason: closeCode == .unknown(4401) ? "token expired or revoked" : "too slow")
        }
    }

    /// Sends the events in (`since`, `through`] of the user's conversations.
    func replay(from since: Int64, through last: Int64, session: RealtimeSession, outbound: WebSocketOutboundWriter) async throws {
        let resource = session.resource
        let catalog = self.catalog
        let (scopes, oldest) = try await resource.store.read { db in
            (
                try await catalog.realtimeScopes(of: session.user, resource: resource, in: db),
                try await EventLog.oldestID(resource: resource, in: db)
            )
        }
        if Self.missedTrimmedEvents(since: since, oldestKept: oldest) {
            try await send(ControlFrame(type: "resyncRequired", cursor: last), to: outbound)
        }
        var cursor = since
        while cursor < last {
            let after = cursor
            let page = try await resource.store.read { db in
                try await EventLog.events(after: after, scopes: scopes, resource: resource, limit: 500, in: db)
            }
            guard let end = page.last else { break }
            for event in page where event.id <= last && event.recipients.contains(session.user) {
                if let frame = catalog.decode(event)?.realtimeFrame {
                    try await outbound.write(.text(try RealtimeDelivery(cursor: event.id, frame: frame).message(for: session.user)))
                }
            }
            cursor = end.id
        }
    }

    /// Whether a client resuming after `since` missed events the log no longer holds: a cursor from before its
    /// oldest event, or any cursor behind a log that was emptied, has.
    static func missedTrimmedEvents(since: Int64, oldestKept: Int64?) -> Bool {
        guard let oldestKept else { return true }
        return oldestKept > since + 1
    }

    /// The endpoint's own frames: `connected`, `resyncRequired`, `error`.
    struct ControlFrame: Encodable {
        struct Failure: Encodable {
            let code: String
            let message: String
        }

        let type: String
        var cursor: Int64? = nil
        var error: Failure? = nil
    }

    func send(_ value: some Encodable, to outbound: WebSocketOutboundWriter) async throws {
        try await outbound.write(.text(String(decoding: try JSONBody.encoder.encode(value), as: UTF8.self)))
    }
}
