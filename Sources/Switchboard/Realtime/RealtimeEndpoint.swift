import Foundation
import HTTPTypes
import HummingbirdWebSocket
import Logging
import NIOWebSocket
import Synchronization

/// The real-time endpoint: `wss://HOST:PORT/-/realtime/RESOURCE[?since=CURSOR]`, authenticated with a user
/// access token (`Authorization: Bearer …`, or `access_token=` in the query for browsers, which cannot set
/// headers on WebSockets).
///
/// The server sends JSON text frames: first `{"type":"connected","cursor":N}`, then every event of the user's
/// threads as `{"cursor":N,"type":"chatMessageReceived","data":{…}}`. A client that reconnects with
/// `since=<last cursor it saw>` first receives what it missed, then the live stream, in order and without gaps.
/// If `since` is older than the log keeps (a day), it receives `{"type":"resyncRequired"}` and should reload.
/// The connection closes with 4401 when the token expires or is revoked, and with 1013 when the client reads too
/// slowly to keep up.
public struct RealtimeEndpoint: Sendable {
    let resources: ResourceRegistry
    let validator: any UserTokenValidator
    let hub: RealtimeHub
    /// How often an open connection re-checks that its token is still valid (revocation, identity deletion).
    let revalidationInterval: Duration

    public init(resources: ResourceRegistry, validator: any UserTokenValidator, hub: RealtimeHub, revalidationInterval: Duration = .seconds(10)) {
        self.resources = resources
        self.validator = validator
        self.hub = hub
        self.revalidationInterval = revalidationInterval
    }

    static let pathPrefix = "/-/realtime/"

    /// Accepts WebSocket upgrades of the real-time path; other paths fall through to the HTTP pipeline.
    func shouldUpgrade(_ request: HTTPRequest, logger: Logger) async -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        guard let path = request.path, path.hasPrefix(Self.pathPrefix) else { return .dontUpgrade }
        let components = URLComponents(string: path)
        let name = String((components?.path ?? path).dropFirst(Self.pathPrefix.count))
        let query = Dictionary(
            (components?.queryItems ?? []).compactMap { item in item.value.map { (item.name, $0) } }, uniquingKeysWith: { a, _ in a })
        var token = query["access_token"]
        if let authorization = request.headerFields[.authorization], authorization.lowercased().hasPrefix("bearer ") {
            token = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
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
                try? await send(
                    ["type": JSONValue.string("error"), "error": .object(["code": .string(error.code), "message": .string(error.message)])]
                        as [String: JSONValue], to: outbound)
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
    /// everything the connection carries is chat.
    func admit(resourceName name: String, token: String?) async -> Admission {
        let unauthorized = Admission.refused(APIError.unauthorized(), .unknown(4401), reason: "unauthorized")
        guard ResourceName.isValid(Substring(name)), let token else { return unauthorized }
        do {
            guard let resource = try await resources.handle(named: name) else { return unauthorized }
            let claims = try await resource.tokens.verify(token)
            let user = try await validator.validate(claims, resource: resource)
            guard !user.scopes.isDisjoint(with: [.chat, .chatJoin, .chatJoinLimited]) else {
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
        try await send(["type": JSONValue.string("connected"), "cursor": .number(Double(live))] as [String: JSONValue], to: outbound)
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
                for await event in session.outgoing {
                    guard let message = RealtimeProjection.message(for: event, recipient: session.user) else { continue }
                    do { try await send(message, to: outbound) } catch { return nil }
                }
                if Task.isCancelled { return nil }
                return session.revoked.withLock { $0 } ? .unknown(4401) : .unknown(1013)
            }
            group.addTask {
                // Closes the connection when the token expires or stops being valid.
                while !Task.isCancelled {
                    let untilExpiry = Double(claims.exp) - Date().timeIntervalSince1970
                    if untilExpiry <= 0 { return .unknown(4401) }
                    try? await Task.sleep(for: min(revalidationInterval, .seconds(untilExpiry)))
                    if Task.isCancelled { return nil }
                    do {
                        _ = try await validator.validate(claims, resource: resource)
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

    /// Sends the events in (`since`, `through`] of the user's threads.
    func replay(from since: Int64, through last: Int64, session: RealtimeSession, outbound: WebSocketOutboundWriter) async throws {
        let resource = session.resource
        let (threads, oldest) = try await resource.store.read { db in
            let threads = try await db.select().distinct().column("thread_id").from("chat_memberships")
                .where("resource_id", .equal, resource.storageID).where("participant", .equal, session.user)
                .all(decodingColumn: "thread_id", as: String.self)
            let oldest = try await db.select().column(SQLFunction("MIN", args: SQLColumn("id")), as: "oldest").from("events")
                .where("resource_id", .equal, resource.storageID)
                .first(decodingColumn: "oldest", as: Int64?.self) ?? nil
            return (threads, oldest)
        }
        if Self.missedTrimmedEvents(since: since, oldestKept: oldest) {
            try await send(["type": JSONValue.string("resyncRequired"), "cursor": .number(Double(last))] as [String: JSONValue], to: outbound)
        }
        var cursor = since
        while cursor < last {
            let after = cursor
            let page = try await resource.store.read { db in
                try await EventLog.events(after: after, threads: threads, resource: resource, limit: 500, in: db)
            }
            guard !page.isEmpty else { break }
            for event in page where event.id <= last && event.recipients.contains(session.user) {
                if let message = RealtimeProjection.message(for: event, recipient: session.user) {
                    try await send(message, to: outbound)
                }
            }
            cursor = page.last!.id
        }
    }

    /// Whether a client resuming after `since` missed events the log no longer holds. The log keeps a day: a
    /// cursor from before its oldest event, or any cursor behind a log that was emptied, has.
    static func missedTrimmedEvents(since: Int64, oldestKept: Int64?) -> Bool {
        guard let oldestKept else { return true }
        return oldestKept > since + 1
    }

    func send(_ value: some Encodable, to outbound: WebSocketOutboundWriter) async throws {
        try await outbound.write(.text(String(decoding: try JSONBody.encoder.encode(value), as: UTF8.self)))
    }
}

import SQLKit
