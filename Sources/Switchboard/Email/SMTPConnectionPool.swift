import Foundation
import SMTP
import ServiceLifecycle

/// Open SMTP connections kept between batches, per server, so a steady stream of mail to a relay or a domain pays for
/// the TCP and TLS handshakes and the authentication once rather than once per batch. A connection idle longer than
/// ``idleLimit`` is closed with QUIT (well within the five minutes a server waits, RFC 5321 §4.5.3.2.7); one taken
/// from the pool is checked with NOOP first, since the server may have closed it meanwhile.
actor SMTPConnectionPool {
    struct Idle {
        let connection: SMTPConnection
        let since: ContinuousClock.Instant
    }

    private var idle: [String: [Idle]] = [:]
    private var closed = false
    let idleLimit: Duration
    /// Connections kept per server (more than the lanes that use one server never wait here).
    let limit: Int

    init(idleLimit: Duration = .seconds(30), limit: Int = 8) {
        self.idleLimit = idleLimit
        self.limit = limit
    }

    /// An idle connection to `server` that still answers, if there is one.
    func take(_ server: String) async -> SMTPConnection? {
        sweep()
        while let entry = idle[server]?.popLast() {
            guard entry.connection.isOpen else { continue }
            if let reply = try? await entry.connection.noop(), reply.isPositiveCompletion { return entry.connection }
            await entry.connection.quit()
        }
        return nil
    }

    /// Keeps `connection` for the next batch to `server`, or closes it when the pool is full or shut.
    func give(_ connection: SMTPConnection, to server: String) async {
        sweep()
        guard !closed, connection.isOpen, idle[server, default: []].count < limit else {
            await connection.quit()
            return
        }
        idle[server, default: []].append(Idle(connection: connection, since: .now))
    }

    /// Closes every idle connection; later ones are closed as they come back.
    func close() async {
        closed = true
        let all = idle.values.flatMap { $0 }
        idle = [:]
        for entry in all { await entry.connection.quit() }
    }

    /// Closes connections idle too long (without waiting for their QUIT).
    private func sweep() {
        let now = ContinuousClock.now
        for (server, entries) in idle {
            let (fresh, stale) = entries.reduce(into: ([Idle](), [Idle]())) { result, entry in
                if now - entry.since < idleLimit { result.0.append(entry) } else { result.1.append(entry) }
            }
            idle[server] = fresh.isEmpty ? nil : fresh
            for entry in stale { Task { await entry.connection.quit() } }
        }
    }
}

/// Closes the pool's connections when the server stops.
struct SMTPConnectionPoolService: Service {
    let pool: SMTPConnectionPool

    func run() async throws {
        try? await gracefulShutdown()
        await pool.close()
    }
}
