import Logging
import Mail
import NIOCore
import SMTP
import ServiceLifecycle

/// Switchboard's SMTP listener (`--smtp-listen HOST:PORT`), where receiving servers send back what concerns the
/// copies it sent: only the bounce addresses it handed out are accepted (anything else is refused at RCPT, so it is
/// no open relay and a forged bounce changes nothing). A delivery status notification makes its recipient Bounced;
/// a mail to the address (List-Unsubscribe's `mailto:`) records an opt-out; anything else — an out-of-office
/// reply — is taken and dropped.
struct EmailInbound: SMTPServerDelegate {
    let service: EmailService
    let logger: Logger

    func recipient(_ forwardPath: String, session: SMTPSessionInfo) async -> SMTPReply {
        do {
            guard try await service.bounceTarget(forwardPath) != nil else {
                return SMTPReply(code: 550, status: SMTPEnhancedStatus(5, 1, 1), text: "No such mailbox here")
            }
            return SMTPReply(code: 250, status: SMTPEnhancedStatus(2, 1, 5), text: "OK")
        } catch {
            logger.error("email: the bounce address could not be looked up", metadata: ["error": "\(error)"])
            return SMTPReply(code: 451, status: SMTPEnhancedStatus(4, 3, 0), text: "Try again later")
        }
    }

    func message(_ data: ByteBuffer, envelope: SMTPReceivedEnvelope, session: SMTPSessionInfo) async -> SMTPReply {
        let parsed = MailParser.parse(Array(buffer: data))
        let notification = parsed.deliveryStatusNotification
        let unsubscribe = notification == nil && parsed.subject?.lowercased().contains("unsubscribe") == true
        do {
            for address in envelope.recipients {
                if let notification {
                    let changed = try await service.recordNotification(notification, to: address)
                    logger.info("email: delivery status notification", metadata: ["email.changed": "\(changed)"])
                } else if unsubscribe {
                    try await service.recordUnsubscribeMail(to: address)
                    logger.info("email: unsubscribe by mail")
                }
            }
        } catch {
            logger.error("email: what came back could not be recorded", metadata: ["error": "\(error)"])
            return SMTPReply(code: 451, status: SMTPEnhancedStatus(4, 3, 0), text: "Not stored; try again later")
        }
        return SMTPReply(code: 250, status: SMTPEnhancedStatus(2, 0, 0), text: "OK")
    }
}

/// Runs the listener while the server runs.
struct EmailInboundService: Service {
    let configuration: SMTPServerConfiguration
    let inbound: EmailInbound
    let logger: Logger

    func run() async throws {
        let server = try await SMTPServer.start(configuration: configuration, delegate: inbound, logger: logger)
        try? await gracefulShutdown()
        await server.shutdown()
    }
}
