import Crypto
import DNSClient
import Foundation
import Mail
import SQLKit

/// Email for a resource: its domains (DKIM keys, DNS verification), sender usernames and suppression lists, and
/// sending — validated as ACS validates, every recipient through the policy gate and the suppression lists, one
/// outbox row per recipient to a carrier, a delivery report per recipient, and content erased once every recipient
/// reached a final state.
public struct EmailService: Sendable {
    let changes: Changes
    let events: EventLog
    let policy: PolicyService
    let resources: ResourceRegistry
    let configuration: EmailConfiguration
    let clock: any WallClock
    let dns: any DNSLookupService
    let carriers: EmailCarriers
    /// The server's address, for unsubscribe links.
    let serverURL: String
    /// DKIM keys parsed once and kept for the process (a parsed key also keeps the RSA blinding it built).
    let signingKeys = DKIMSigningKeys()

    /// ACS: at most 50 recipients (to, cc and bcc together).
    public static let recipientLimit = 50
    static let deliverKind = "email.deliver"
    static let expireKind = "email.expire"

    public struct SendRequest: Sendable {
        public struct Attachment: Sendable {
            public var name: String
            public var contentType: String
            public var contentInBase64: String
            public var contentId: String?

            public init(name: String, contentType: String, contentInBase64: String, contentId: String? = nil) {
                self.name = name
                self.contentType = contentType
                self.contentInBase64 = contentInBase64
                self.contentId = contentId
            }
        }

        public var senderAddress: String
        public var to: [EmailAddressValue]
        public var cc: [EmailAddressValue]
        public var bcc: [EmailAddressValue]
        public var subject: String
        public var plainText: String?
        public var html: String?
        public var attachments: [Attachment]
        public var replyTo: [EmailAddressValue]
        public var headers: [(String, String)]
        public var trackingDisabled: Bool

        public init(
            senderAddress: String, to: [EmailAddressValue], cc: [EmailAddressValue] = [], bcc: [EmailAddressValue] = [], subject: String,
            plainText: String? = nil, html: String? = nil, attachments: [Attachment] = [], replyTo: [EmailAddressValue] = [],
            headers: [(String, String)] = [], trackingDisabled: Bool = false
        ) {
            self.senderAddress = senderAddress
            self.to = to
            self.cc = cc
            self.bcc = bcc
            self.subject = subject
            self.plainText = plainText
            self.html = html
            self.attachments = attachments
            self.replyTo = replyTo
            self.headers = headers
            self.trackingDisabled = trackingDisabled
        }
    }

    /// What one outbox row delivers: a recipient of a send (the rest is in the send's sealed content).
    struct DeliverPayload: Codable, Sendable {
        let operationId: String
        let seq: Int
    }

    // MARK: Sending

    /// Accepts a send: validates it, passes each recipient through the gate and the suppression lists, records the
    /// operation and queues a delivery per recipient, all in one transaction. With an `operationID` already used
    /// for the same request, answers that operation again (nothing is sent twice).
    ///
    /// - Parameter serverURL: the server's address as the caller reached it, for the links in the message (its
    ///   public URL, when one is configured); the configured base URL when `nil`.
    public func send(_ request: SendRequest, operationID: String?, serverURL: String? = nil, in resource: ResourceHandle) async throws
        -> EmailOperationView
    {
        try await send(request, operationID: operationID, serverURL: serverURL, confirming: nil, in: resource)
    }

    /// A send; `confirming` names the program of a double opt-in confirmation, which the policy gate does not judge
    /// (it is the gate's own message, to a recipient whose consent awaits exactly this) — the suppression list and
    /// the bounce lease still apply.
    func send(
        _ request: SendRequest, operationID: String?, serverURL: String?, confirming program: String?, in resource: ResourceHandle
    ) async throws -> EmailOperationView {
        let id = try Self.operationID(operationID)
        let validated = try validate(request)
        let hash = Data(SHA256.hash(data: validated.fingerprint))
        if validated.sender.domain == sandboxDomain(of: resource) { try await ensureSandboxDomain(in: resource) }
        // One transaction answers a repeated Operation-Id, checks the sender and records the send: no read before it.
        return try await changes.run(in: resource) { tx in
            if let existing = try await EmailStore.operation(id, resource: resource, in: tx.db) {
                guard existing.requestHash == hash else { throw EmailError.operationIDConflict(id) }
                return Self.view(existing)
            }
            let (kind, registered) = try await sendingDomain(of: validated.sender, in: tx.db, resource: resource)
            let domain = registered.domain
            let route = carriers.route(for: kind)
            let senderAddress = "\(registered.username)@\(domain)"
            let now = tx.now
            let addresses = validated.recipients.map(\.address.addrSpec)
            let decisions: [PolicyDecision]? =
                program != nil
                ? nil
                : try await policy.decide(
                    PolicyMessage(
                        channel: .email, from: senderAddress, to: addresses, subject: request.subject, text: request.plainText,
                        html: request.html),
                    operation: id, in: tx)
            let indexes = addresses.map { resource.crypto.blindIndex($0, kind: .emailAddress) }
            let listed = try await EmailStore.suppressed(indexes, domain: domain, resource: resource, in: tx.db)
            let leases = try await EmailStore.leases(indexes, now: now, resource: resource, in: tx.db)
            var recipients: [EmailStore.Recipient] = []
            var rows: [NewOutboxItem] = []
            var reports: [NewEvent] = []
            let expiry = now.adding(configuration.retryWindow)
            for (seq, recipient) in validated.recipients.enumerated() {
                let address = recipient.address.addrSpec
                let index = indexes[seq]
                var refusal: String?
                if let decision = decisions?[seq], !decision.allowed {
                    refusal = "\(decision.code?.rawValue ?? "Refused"): \(decision.reason)"
                } else if listed.contains(index) {
                    refusal = "SuppressionList: the address is on the suppression list of \(domain)."
                } else if let lease = leases[index] {
                    refusal = "HardBounceLease: the address bounced and is suppressed until \(APIDate.format(lease.until.date))."
                }
                var row = EmailStore.Recipient(
                    operationID: id, seq: seq, kind: recipient.kind, address: address, status: .queued, statusDetails: nil,
                    internetMessageID: nil, mailServer: nil, attempts: 0, bounceToken: EmailBounceAddress.newToken(), createdAt: now, updatedAt: now,
                    finishedAt: nil)
                if let refusal {
                    row.status = .suppressed
                    row.statusDetails = refusal
                    row.finishedAt = now
                    reports.append(report(row, sender: senderAddress, at: now))
                } else {
                    rows.append(
                        NewOutboxItem(
                            kind: Self.deliverKind, target: route.target(forRecipient: recipient.address),
                            deliveryID: "\(id):\(seq)", subject: .emailAddress(address),
                            correlation: Correlation(scope: "email:\(id)", item: "\(seq)"),
                            payload: try JSONBody.encoder.encode(DeliverPayload(operationId: id, seq: seq)), maxAttempts: 1000, expiresAt: expiry))
                }
                recipients.append(row)
            }
            let queued = !rows.isEmpty
            let program = program ?? decisions?.first?.programId ?? MessagingProgram.defaultID
            let operation = EmailStore.Operation(
                id: id, status: queued ? .running : .succeeded, errorCode: nil, errorMessage: nil, sender: senderAddress,
                recipients: recipients.count, requestHash: hash, programID: program, createdAt: now, updatedAt: now, finishedAt: queued ? nil : now)
            try await EmailStore.insert(operation, resource: resource, in: tx.db)
            try await EmailStore.insert(recipients, resource: resource, in: tx.db)
            if queued {
                try await EmailStore.insertContent(
                    validated.content(
                        program: program, sender: EmailAddressValue(address: senderAddress, displayName: registered.displayName),
                        linkBase: serverURL ?? self.serverURL),
                    operation: id, now: now, resource: resource, in: tx.db)
                rows.append(
                    NewOutboxItem(
                        kind: Self.expireKind, target: "email", deliveryID: "\(id):expire",
                        correlation: Correlation(scope: "email:\(id)", item: "expire"),
                        maxAttempts: 100, expiresAt: expiry.adding(seconds: 86_400), notBefore: expiry))
                try await Outbox.enqueue(rows, in: tx)
            }
            _ = try await events.append(reports, in: tx)
            return Self.view(operation)
        }
    }

    /// The operation of a send, as the SDK polls it.
    public func operation(_ id: String, in resource: ResourceHandle) async throws -> EmailOperationView {
        guard let operation = try await resource.store.read({ db in try await EmailStore.operation(id.lowercased(), resource: resource, in: db) })
        else { throw EmailError.operationNotFound(id) }
        return Self.view(operation)
    }

    static func view(_ operation: EmailStore.Operation) -> EmailOperationView {
        EmailOperationView(
            id: operation.id, status: operation.status.rawValue,
            error: operation.errorCode.map { .init(code: $0, message: operation.errorMessage ?? $0) })
    }

    /// The caller's `Operation-Id` (a UUID), or a new one.
    static func operationID(_ given: String?) throws -> String {
        guard let given else { return UUID().uuidString.lowercased() }
        guard let uuid = UUID(uuidString: given.trimmingCharacters(in: .whitespaces)) else {
            throw EmailError.invalid("Operation-Id must be a UUID.", target: "Operation-Id")
        }
        return uuid.uuidString.lowercased()
    }

    /// The sender's domain, if it is one of the resource's that may send: the sandbox domain (made on first use)
    /// or a custom domain whose ownership, SPF and DKIM verified, with the username registered on it.
    /// The sandbox domain must exist first (``ensureSandboxDomain(in:)``).
    func sendingDomain(of sender: MailAddress, in db: any SQLDatabase, resource: ResourceHandle) async throws -> (
        kind: EmailStore.Domain.Kind, sender: EmailStore.Sender
    ) {
        guard let identity = try await EmailStore.sendingIdentity(domain: sender.domain, username: sender.localPart, resource: resource, in: db)
        else { throw EmailError.domainNotLinked(sender.domain) }
        guard identity.maySend else { throw EmailError.domainNotVerified(sender.domain) }
        guard let registered = identity.sender else { throw EmailError.senderNotFound(sender.addrSpec) }
        return (identity.kind, registered)
    }

    /// The policy gate's question for email: is this sender address a registered username on a domain of the
    /// resource that may send?
    struct Authority: SenderAuthority {
        var channel: MessagingChannel { .email }

        func owns(_ sender: MessagingSender, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Bool {
            let parts = sender.value.lowercased().split(separator: "@", maxSplits: 1)
            guard parts.count == 2 else { return false }
            guard
                let identity = try await EmailStore.sendingIdentity(domain: String(parts[1]), username: String(parts[0]), resource: resource, in: db)
            else {
                // The sandbox domain and its DoNotReply are made on first use; a program may name them before that.
                return parts[1] == "\(resource.name.lowercased()).\(EmailConfiguration().sandboxDomainSuffix)" && parts[0] == defaultUsername
            }
            return identity.maySend && identity.sender != nil
        }
    }

    /// A recipient's delivery report.
    func report(_ recipient: EmailStore.Recipient, sender: String, at: Timestamp) -> NewEvent {
        NewEvent(
            type: EmailEventType.deliveryReport.rawValue,
            payload: EmailDeliveryReportData(
                sender: sender, recipient: recipient.address, internetMessageId: recipient.internetMessageID, messageId: recipient.operationID,
                status: recipient.status.rawValue,
                deliveryStatusDetails: .init(recipientMailServerHostName: recipient.mailServer, statusMessage: recipient.statusDetails),
                deliveryAttemptTimestamp: at.date),
            recipients: [], correlation: Correlation(scope: "email:\(recipient.operationID)", item: "report:\(recipient.seq)"),
            subject: .emailAddress(recipient.address))
    }
}
