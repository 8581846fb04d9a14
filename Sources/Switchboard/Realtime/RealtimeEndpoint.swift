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
        var authenticated: (ResourceHandle, AccessTokenClaims, AuthenticatedUser)?
        if ResourceName.isValid(Substring(name)), let token, let resource = try? await resources.handle(named: name),
            let claims = try? await resource.tokens.verify(token),
            let user = try? await validator.validate(claims, resource: resource)
        {
            authenticated = (resource, claims, user)
        }
        let accepted = authenticated
        // An HTTP status cannot be chosen once an upgrade is declined (the client only sees 400), so a refused
        // client is upgraded and then told why, with close code 4401.
        return .upgrade([:]) { inbound, outbound, context in
            guard let (resource, claims, user) = accepted else {
                context.logger.notice("real-time connection refused", metadata: ["reason": "authentication"])
                let error = APIError.unauthorized()
                try? await send(["type": JSONValue.string("error"), "error": .object(["code": .string(error.code), "message": .string(error.message)])] as [String: JSONValue], to: outbound)
                try? await outbound.close(.unknown(4401), reason: "unauthorized")
                return
            }
            try await run(
                resource: resource, user: user, claims: claims, since: since, inbound: inbound, outbound: outbound,
                logger: context.logger)
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
                    if (try? await validator.validate(claims, resource: resource)) == nil { return .unknown(4401) }
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
        if let oldest, oldest > since + 1 {
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

    func send(_ value: some Encodable, to outbound: WebSocketOutboundWriter) async throws {
        try await outbound.write(.text(String(decoding: try JSONBody.encoder.encode(value), as: UTF8.self)))
    }
}

import SQLKit
