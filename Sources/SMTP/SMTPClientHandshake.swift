import Logging
import NIOCore
import NIOSSL

/// The opening of a client session: greeting, EHLO/HELO, STARTTLS and AUTH.
struct SMTPClientHandshake {
    struct Outcome {
        var greeting: SMTPReply
        var capabilities: SMTPServerCapabilities
        var isTLS: Bool
        var authenticatedUsername: String?
    }

    let session: SMTPClientSession
    let configuration: SMTPClientConfiguration
    let sslContext: NIOSSLContext?
    let logger: Logger

    /// Runs the opening; on failure the connection is closed (after QUIT when the server is
    /// still talking) and the error rethrown.
    func run() async throws -> Outcome {
        do {
            return try await open()
        } catch let error as SMTPError {
            switch error {
            case .greetingRejected, .startTLSRequiredButNotOffered, .startTLSFailed, .authenticationNotOffered,
                .authenticationRequiresTLS, .authenticationFailed, .unexpectedReply:
                _ = try? await session.exchange(.quit, stage: "QUIT", timeout: configuration.timeouts.command)
            default:
                break
            }
            await session.abort(error)
            throw error
        } catch {
            await session.abort(.connectionClosed)
            throw error
        }
    }

    private func open() async throws -> Outcome {
        let handler = session.handler
        let greeting = try await session.channel.eventLoop.flatSubmit { handler.value.greeting }.get()
        guard greeting.code == 220 else { throw SMTPError.greetingRejected(greeting) }
        logger.debug("SMTP greeting received", metadata: ["smtp.reply": "\(greeting.code)"])
        var capabilities = try await hello()
        var isTLS = try await session.isTLS()
        if case .startTLS(let required) = configuration.tls, !isTLS {
            if capabilities.startTLS, let sslContext {
                let upgrade = SMTPClientHandler.TLSUpgrade(
                    context: sslContext, serverHostname: SMTPConnection.sniName(configuration.effectiveServerName),
                    handshakeTimeout: TimeAmount(configuration.timeouts.command))
                let reply = try await session.startTLS(upgrade)
                if reply.code == 220 {
                    isTLS = true
                    capabilities = try await hello()
                } else if required {
                    throw SMTPError.startTLSFailed(reply)
                } else {
                    logger.info("SMTP server refused STARTTLS; continuing without TLS", metadata: ["smtp.reply": "\(reply)"])
                }
            } else if required {
                throw SMTPError.startTLSRequiredButNotOffered
            }
        }
        var username: String?
        if let credentials = configuration.credentials {
            guard isTLS || configuration.allowInsecureAuthentication else { throw SMTPError.authenticationRequiresTLS }
            try await authenticate(credentials, mechanisms: capabilities.authMechanisms)
            username = credentials.username
        }
        return Outcome(greeting: greeting, capabilities: capabilities, isTLS: isTLS, authenticatedUsername: username)
    }

    /// EHLO, or HELO when the server does not know EHLO.
    private func hello() async throws -> SMTPServerCapabilities {
        let timeout = configuration.timeouts.command
        let reply = try await session.exchange(.ehlo(configuration.clientHostname), stage: "EHLO", timeout: timeout)
        if reply.isPositiveCompletion { return SMTPServerCapabilities(ehloReply: reply) }
        guard reply.code == 500 || reply.code == 502 else { throw SMTPError.unexpectedReply(stage: "EHLO", reply) }
        let helo = try await session.exchange(.helo(configuration.clientHostname), stage: "HELO", timeout: timeout)
        guard helo.isPositiveCompletion else { throw SMTPError.unexpectedReply(stage: "HELO", helo) }
        return SMTPServerCapabilities(keywords: [:], isExtended: false)
    }

    /// AUTH PLAIN when offered, else AUTH LOGIN (RFC 4954). Payloads are never logged.
    private func authenticate(_ credentials: SMTPCredentials, mechanisms: Set<String>) async throws {
        let timeout = configuration.timeouts.command
        var reply: SMTPReply
        if mechanisms.contains("PLAIN") {
            let payload = Base64.encode(Array("\0\(credentials.username)\0\(credentials.password)".utf8))
            // RFC 4954 §4: an initial response that would make the line too long goes after a 334.
            if payload.utf8.count <= 480 {
                reply = try await session.exchange(.auth(mechanism: "PLAIN", initialResponse: payload), stage: "AUTH", timeout: timeout)
            } else {
                reply = try await session.exchange(.auth(mechanism: "PLAIN", initialResponse: nil), stage: "AUTH", timeout: timeout)
                if reply.code == 334 {
                    reply = try await session.exchange(.authResponse(payload), stage: "AUTH", timeout: timeout)
                }
            }
        } else if mechanisms.contains("LOGIN") {
            reply = try await session.exchange(.auth(mechanism: "LOGIN", initialResponse: nil), stage: "AUTH", timeout: timeout)
            for secret in [credentials.username, credentials.password] where reply.code == 334 {
                reply = try await session.exchange(.authResponse(Base64.encode(Array(secret.utf8))), stage: "AUTH", timeout: timeout)
            }
        } else {
            throw SMTPError.authenticationNotOffered
        }
        if reply.code == 334 {
            // More challenges than the mechanism has: cancel the exchange (RFC 4954 §4).
            reply = try await session.exchange(.authResponse("*"), stage: "AUTH", timeout: timeout)
            throw SMTPError.authenticationFailed(reply)
        }
        guard reply.code == 235 else { throw SMTPError.authenticationFailed(reply) }
        logger.debug("SMTP authenticated", metadata: ["smtp.username": "\(credentials.username)"])
    }
}
