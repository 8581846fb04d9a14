import Foundation
import SQLKit

/// Advanced Messages (WhatsApp) for a resource: its channels and templates, sending through the policy gate and the
/// outbox to a carrier (the sandbox or the WhatsApp Cloud API), WhatsApp's 24-hour rule, and what handsets send back
/// (messages, media, delivery statuses) as Event Grid events.
public struct MessagesService: Sendable {
    let changes: Changes
    let events: EventLog
    let policy: PolicyService
    let clock: any WallClock
    let cloud: WhatsAppCloudCarrier
    /// The server's base URL, for the confirmation links of consent a keyword renews.
    var serverURL = ""

    /// WhatsApp's customer-service window: free-form messages only this long after the handset's last message.
    public static let conversationWindow: Duration = .seconds(86_400)
    /// Switchboard's limit of recipients per send (the spec gives none).
    public static let recipientLimit = 100
    /// A Repeatability-Request-ID is answered with its first receipts for a day.
    public static let repeatabilityWindow: Duration = .seconds(86_400)
    /// The outbox kind of a message on its way to its carrier (target: the channel id).
    static let sendKind = "whatsapp.send"

    /// What the outbox row carries to the carrier, sealed; erased once delivered.
    struct SendPayload: Codable, Sendable {
        let channelId: String
        let to: String
        let content: MessageContent
    }

    // MARK: Geography and channels

    /// Advanced Messaging exists only in five geographies; every other resource is refused.
    static func checkGeography(_ resource: ResourceHandle) throws(MessagesError) {
        guard resource.geography.supportsAdvancedMessaging else { throw .geographyNotSupported(resource.geography) }
    }

    /// A channel id as the SDK sends it: a UUID, compared lower-case.
    static func channelID(_ text: String, target: String = "channelRegistrationId") throws(MessagesError) -> String {
        guard let id = UUID(uuidString: text) else { throw .invalid("\(target) must be a GUID.", target: target) }
        return id.uuidString.lowercased()
    }

    public struct ChannelRequest: Sendable {
        public var kind: WhatsAppChannel.Kind
        public var phoneNumberID: String?
        public var accessToken: String?
        public var appSecret: String?
        public var verifyToken: String?
        /// The WhatsApp Business Account's id (optional): needed to list the channel's templates from Meta.
        public var businessAccountID: String?

        public init(
            kind: WhatsAppChannel.Kind, phoneNumberID: String? = nil, accessToken: String? = nil, appSecret: String? = nil,
            verifyToken: String? = nil, businessAccountID: String? = nil
        ) {
            self.kind = kind
            self.phoneNumberID = phoneNumberID
            self.accessToken = accessToken
            self.appSecret = appSecret
            self.verifyToken = verifyToken
            self.businessAccountID = businessAccountID
        }
    }

    /// Registers (or replaces) a channel. A Cloud API channel needs its phone-number id, access token, app secret
    /// and verify token (its business account id is optional); a replacement that omits a secret keeps the one on
    /// record. A channel whose kind or business account changes forgets its templates.
    public func putChannel(_ idText: String, _ request: ChannelRequest, in resource: ResourceHandle) async throws -> (WhatsAppChannel, Bool) {
        try Self.checkGeography(resource)
        let id = try Self.channelID(idText, target: "channelId")
        return try await changes.run(in: resource) { tx in
            let existing = try await MessagesStore.channel(id, resource: resource, in: tx.db)
            let kept = existing?.kind == request.kind ? existing : nil
            var channel = WhatsAppChannel(
                id: id, kind: request.kind, phoneNumberID: request.kind == .cloudAPI ? request.phoneNumberID : nil,
                businessAccountID: request.kind == .cloudAPI ? request.businessAccountID : nil,
                accessToken: request.kind == .cloudAPI ? request.accessToken ?? kept?.accessToken : nil,
                appSecret: request.kind == .cloudAPI ? request.appSecret ?? kept?.appSecret : nil,
                verifyToken: request.kind == .cloudAPI ? request.verifyToken ?? kept?.verifyToken : nil,
                createdAt: existing?.createdAt ?? tx.now)
            let sameTemplates = kept != nil && kept?.businessAccountID == channel.businessAccountID
            channel.templatesSyncedAt = sameTemplates ? existing?.templatesSyncedAt : nil
            if channel.kind == .cloudAPI {
                guard let number = channel.phoneNumberID, !number.isEmpty, number.count <= 64, number.allSatisfy(\.isASCIIDigit) else {
                    throw MessagesError.invalid("A Cloud API channel needs its phoneNumberId (digits).", target: "phoneNumberId")
                }
                if let account = channel.businessAccountID, account.isEmpty || account.count > 64 || !account.allSatisfy(\.isASCIIDigit) {
                    throw MessagesError.invalid("businessAccountId is the WhatsApp Business Account's id (digits).", target: "businessAccountId")
                }
                for (value, name) in [(channel.accessToken, "accessToken"), (channel.appSecret, "appSecret"), (channel.verifyToken, "verifyToken")] {
                    guard let value, !value.isEmpty, value.count <= 4096 else {
                        throw MessagesError.invalid("A Cloud API channel needs its \(name).", target: name)
                    }
                }
            }
            if existing != nil, !sameTemplates { try await MessagesStore.forgetTemplates(channel: id, resource: resource, in: tx.db) }
            try await MessagesStore.put(channel, resource: resource, in: tx.db)
            return (channel, existing == nil)
        }
    }

    public func channel(_ idText: String, in resource: ResourceHandle) async throws -> WhatsAppChannel {
        let id = try Self.channelID(idText, target: "channelId")
        guard let channel = try await resource.store.read({ db in try await MessagesStore.channel(id, resource: resource, in: db) }) else {
            throw MessagesError.channelNotFound(id)
        }
        return channel
    }

    public func deleteChannel(_ idText: String, in resource: ResourceHandle) async throws {
        let id = try Self.channelID(idText, target: "channelId")
        let deleted = try await changes.run(in: resource) { tx in try await MessagesStore.deleteChannel(id, resource: resource, in: tx.db) }
        guard deleted else { throw MessagesError.channelNotFound(id) }
    }

    // MARK: Sending

    /// Sends `content` to each recipient, each its own message: WhatsApp's 24-hour rule, then the policy gate, then
    /// the outbox. All recipients are accepted or none is. A repeated `requestID` answers with its first receipts.
    func send(
        channel idText: String, to recipients: [String], content: MessageContent, requestID: String?, in resource: ResourceHandle
    ) async throws -> (receipts: [MessageReceipt], replayed: Bool) {
        try Self.checkGeography(resource)
        let channelID = try Self.channelID(idText)
        guard (1...Self.recipientLimit).contains(recipients.count) else { throw MessagesError.tooManyRecipients(limit: Self.recipientLimit) }
        let numbers = try recipients.enumerated().map { index, recipient throws(MessagesError) in
            guard let number = MessagingAddress.phoneNumber(recipient) else {
                throw MessagesError.invalid("to[\(index)] must be a phone number in E.164 format, e.g. +14255550123.", target: "to")
            }
            return number
        }
        await refreshTemplatesBeforeSending(content, channel: channelID, in: resource)
        enum Outcome: Sendable {
            case sent([MessageReceipt], replayed: Bool)
            case refused([String])
        }
        let outcome = try await changes.run(in: resource) { tx -> Outcome in
            if let requestID,
                let ids = try await MessagesStore.repeated(
                    requestID, since: tx.now.subtracting(Self.repeatabilityWindow), resource: resource, in: tx.db)
            {
                let byID = Dictionary(
                    try await MessagesStore.messages(ids, resource: resource, in: tx.db).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
                return .sent(ids.compactMap { byID[$0].map { MessageReceipt(messageId: $0.id, to: $0.recipient) } }, replayed: true)
            }
            guard let channel = try await MessagesStore.channel(channelID, resource: resource, in: tx.db) else {
                throw MessagesError.channelNotFound(channelID)
            }
            if let template = content.template { try await checkTemplate(template, channel: channel, in: tx) }
            if content.isFreeForm {
                let open = try await MessagesStore.inWindow(
                    numbers, channel: channel.id, since: tx.now.subtracting(Self.conversationWindow), resource: resource, in: tx.db)
                let closed = numbers.filter { !open.contains($0) }
                guard closed.isEmpty else { throw MessagesError.outsideConversationWindow(Array(Set(closed)).sorted()) }
            }
            let decisions = try await policy.decide(
                PolicyMessage(channel: .whatsapp, from: channel.id, to: numbers, text: content.searchableText), operation: nil, in: tx)
            let refusals = decisions.filter { !$0.allowed }
            guard refusals.isEmpty else {
                // The decisions stay recorded; nothing is queued.
                return .refused(refusals.map { "\(MessagingAddress.masked($0.recipient)): \($0.code?.rawValue ?? "Refused"): \($0.reason)" })
            }
            var messages: [MessagesStore.Message] = []
            var rows: [NewOutboxItem] = []
            for number in numbers {
                let id = UUID().uuidString.lowercased()
                messages.append(
                    MessagesStore.Message(
                        id: id, channelID: channel.id, direction: "outbound", kind: content.kind.rawValue, recipient: number, status: "queued",
                        statusDetails: nil, carrierMessageID: nil, createdAt: tx.now))
                rows.append(
                    NewOutboxItem(
                        kind: Self.sendKind, target: channel.id, deliveryID: id, subject: .phoneNumber(number),
                        correlation: Correlation(scope: "whatsapp:\(id)", item: "send"),
                        payload: try JSONBody.encoder.encode(SendPayload(channelId: channel.id, to: number, content: content)), maxAttempts: 100,
                        expiresAt: tx.now.adding(seconds: 86_400)))
            }
            try await MessagesStore.insert(messages, resource: resource, now: tx.now, in: tx.db)
            try await Outbox.enqueue(rows, in: tx)
            if let requestID {
                try await MessagesStore.remember(requestID, messageIDs: messages.map(\.id), now: tx.now, resource: resource, in: tx.db)
            }
            return .sent(messages.map { MessageReceipt(messageId: $0.id, to: $0.recipient) }, replayed: false)
        }
        switch outcome {
        case .sent(let receipts, let replayed): return (receipts, replayed)
        case .refused(let reasons): throw MessagesError.refusedByPolicy(reasons)
        }
    }

    // MARK: Delivery

    /// Delivers one queued message to its channel's carrier: the sandbox captures it (and reports it delivered), the
    /// Cloud API is called.
    func deliver(_ item: OutboxItem, resource: ResourceHandle) async -> DeliveryResult {
        guard let data = item.payload, let payload = try? JSONBody.decoder.decode(SendPayload.self, from: data) else {
            return DeliveryResult(.drop, error: "the message's content was erased")
        }
        let channel: WhatsAppChannel?
        do {
            channel = try await resource.store.read { db in try await MessagesStore.channel(payload.channelId, resource: resource, in: db) }
        } catch {
            return DeliveryResult(.retry, error: "the channel could not be read")
        }
        guard let channel else {
            await recordFailure(item.deliveryID, payload: payload, code: "ChannelDeleted", message: "The channel was deleted.", in: resource)
            return DeliveryResult(.drop, error: "the channel was deleted")
        }
        switch channel.kind {
        case .sandbox:
            do {
                try await changes.run(in: resource) { tx in
                    try await MessagesStore.insert(
                        MessagesStore.SandboxEntry(
                            id: UUID().uuidString.lowercased(), messageId: item.deliveryID, channelId: channel.id, direction: "outbound",
                            handset: payload.to, content: payload.content, text: nil, mediaId: nil, createdDateTime: APIDate.format(tx.now.date)),
                        at: tx.now, resource: resource, in: tx.db)
                    try await self.status(item.deliveryID, channel: channel.id, to: payload.to, status: "Delivered", error: nil, in: tx)
                }
                return DeliveryResult(.delivered)
            } catch {
                return DeliveryResult(.retry, error: "the sandbox could not record the message")
            }
        case .cloudAPI:
            switch await cloud.send(payload, channel: channel) {
            case .accepted(let wamid):
                do {
                    try await changes.run(in: resource) { tx in
                        try await MessagesStore.update(
                            item.deliveryID, status: "sent", details: nil, carrierID: wamid, now: tx.now, resource: resource, in: tx.db)
                    }
                    return DeliveryResult(.delivered, status: 200)
                } catch {
                    return DeliveryResult(.retry, error: "recording the Cloud API's answer failed")
                }
            case .retry(let reason, let status):
                return DeliveryResult(.retry, status: status, error: reason)
            case .refused(let code, let message, let status):
                await recordFailure(item.deliveryID, payload: payload, code: code, message: message, in: resource)
                return DeliveryResult(.reject, status: status, error: "the Cloud API refused the message (\(code))")
            }
        }
    }

    func recordFailure(_ id: String, payload: SendPayload, code: String, message: String, in resource: ResourceHandle) async {
        _ = try? await changes.run(in: resource) { tx in
            try await self.status(
                id, channel: payload.channelId, to: payload.to, status: "Failed",
                error: AdvancedMessageEventData.ChannelError(channelCode: code, channelMessage: message), in: tx)
        }
    }

    /// A message's new status, recorded and reported (`AdvancedMessageDeliveryStatusUpdated`).
    func status(
        _ id: String, channel: String, to: String, status: String, error: AdvancedMessageEventData.ChannelError?, in tx: Transaction
    ) async throws {
        try await MessagesStore.update(
            id, status: status.lowercased(), details: error.map { "\($0.channelCode ?? ""): \($0.channelMessage ?? "")" }, now: tx.now,
            resource: tx.resource, in: tx.db)
        var data = AdvancedMessageEventData(from: channel, to: to, receivedTimestamp: tx.now.date, messageId: id)
        data.status = status
        data.error = error
        _ = try await events.append(
            [
                NewEvent(
                    type: MessagesEventType.deliveryStatusUpdated.rawValue, payload: data, recipients: [],
                    correlation: Correlation(scope: "whatsapp:\(id)", item: "status:\(status)"), subject: .phoneNumber(to))
            ], in: tx)
    }

    // MARK: Inbound

    /// A message a handset sent to a channel, as the carrier (sandbox or Cloud API webhook) reports it.
    struct Inbound: Sendable {
        let channel: WhatsAppChannel
        let from: String
        let messageType: String
        let text: String?
        var media: Media?
        var context: AdvancedMessageEventData.Context?
        var button: AdvancedMessageEventData.Button?
        var reaction: AdvancedMessageEventData.Reaction?
        var interactive: AdvancedMessageEventData.Interactive?
        var carrierMessageID: String?

        struct Media: Sendable {
            let mimeType: String
            let fileName: String?
            let caption: String?
            /// The bytes (sandbox) or the Graph API's media id (Cloud API).
            let content: Data?
            let graphMediaID: String?
            /// Stickers only.
            var animated: Bool? = nil
        }
    }

    /// Records an inbound message: it opens the 24-hour window and the policy's conversation, its media become
    /// downloadable, and it becomes an `AdvancedMessageReceived` event. Returns its message id.
    func receive(_ inbound: Inbound, sandbox: Bool, in resource: ResourceHandle) async throws -> (messageID: String, mediaID: String?) {
        let id = UUID().uuidString.lowercased()
        let mediaID = inbound.media.map { _ in UUID().uuidString.lowercased() }
        try await changes.run(in: resource) { tx in
            try await MessagesStore.recordInbound(channel: inbound.channel.id, handset: inbound.from, at: tx.now, resource: resource, in: tx.db)
            try await policy.recordInbound(from: inbound.from, to: inbound.channel.id, channel: .whatsapp, in: tx)
            try await MessagesStore.insert(
                [
                    MessagesStore.Message(
                        id: id, channelID: inbound.channel.id, direction: "inbound", kind: inbound.messageType, recipient: inbound.from,
                        status: "received", statusDetails: nil, carrierMessageID: inbound.carrierMessageID, createdAt: tx.now)
                ], resource: resource, now: tx.now, in: tx.db)
            if let media = inbound.media, let mediaID {
                try await MessagesStore.insert(
                    MessagesStore.Media(
                        id: mediaID, channelID: inbound.channel.id, mimeType: media.mimeType, content: media.content, graphMediaID: media.graphMediaID
                    ),
                    handset: inbound.from, now: tx.now, resource: resource, in: tx.db)
            }
            if sandbox {
                try await MessagesStore.insert(
                    MessagesStore.SandboxEntry(
                        id: UUID().uuidString.lowercased(), messageId: id, channelId: inbound.channel.id, direction: "inbound", handset: inbound.from,
                        content: nil, text: inbound.text ?? inbound.media?.caption, mediaId: mediaID, createdDateTime: APIDate.format(tx.now.date)),
                    at: tx.now, resource: resource, in: tx.db)
            }
            var data = AdvancedMessageEventData(from: inbound.from, to: inbound.channel.id, receivedTimestamp: tx.now.date, messageId: id)
            data.content = inbound.text
            data.messageType = inbound.messageType
            if let media = inbound.media, let mediaID {
                data.media = .init(mimeType: media.mimeType, id: mediaID, fileName: media.fileName, caption: media.caption, animated: media.animated)
            }
            data.context = inbound.context
            data.button = inbound.button
            data.reaction = inbound.reaction
            data.interactive = inbound.interactive
            _ = try await events.append(
                [
                    NewEvent(
                        type: MessagesEventType.received.rawValue, payload: data, recipients: [],
                        correlation: Correlation(scope: "whatsapp:\(id)", item: "received"), subject: .phoneNumber(inbound.from))
                ], in: tx)
        }
        // STOP and START work as they do on SMS (the messaging policy's opt-out section): an opt-out of the channel's
        // program, or consent renewed by keyword. The application still gets the message as an event.
        if let text = inbound.text, inbound.messageType == "text" || inbound.messageType == "button",
            let keyword = MessagingKeyword(text)
        {
            try await act(on: keyword, text: text, from: inbound.from, channel: inbound.channel, in: resource)
        }
        return (id, mediaID)
    }

    /// Acts on STOP (an opt-out of the channel's program on WhatsApp) and START (consent renewed, written, by keyword).
    /// WhatsApp asks for no answer, so none is sent: the application decides what to write back within the window.
    func act(on keyword: MessagingKeyword, text: String, from handset: String, channel: WhatsAppChannel, in resource: ResourceHandle)
        async throws
    {
        switch keyword {
        case .stop:
            let program = try await resource.store.read { db in
                try await MessagingSender(parsing: channel.id).asyncMap {
                    try await PolicyStore.programID(ofSender: $0, resource: resource, in: db)
                }
            }
            try await policy.recordOptOut(
                .init(recipient: handset, channel: .whatsapp, programID: program ?? MessagingProgram.defaultID, source: "keyword"), in: resource)
        case .start:
            _ = try await policy.resume(
                recipient: handset, channel: .whatsapp, sender: channel.id, keyword: text.trimmingCharacters(in: .whitespacesAndNewlines),
                in: resource, serverURL: serverURL)
        case .yes:
            _ = try await policy.confirm(recipient: handset, channel: .whatsapp, sender: channel.id, in: resource)
        case .help:
            break
        }
    }

    /// A status the Cloud API reported for a message it accepted (`sent`, `delivered`, `read`, `failed`).
    func carrierStatus(
        wamid: String, status: String, error: AdvancedMessageEventData.ChannelError?, channel: WhatsAppChannel, in resource: ResourceHandle
    ) async throws {
        let reported =
            switch status.lowercased() {
            case "sent": "Sent"
            case "delivered": "Delivered"
            case "read": "Read"
            case "failed": "Failed"
            case "warning": "Warning"
            default: "Unknown"
            }
        try await changes.run(in: resource) { tx in
            guard let message = try await MessagesStore.message(carrierID: wamid, resource: resource, in: tx.db), message.channelID == channel.id
            else { return }
            try await self.status(message.id, channel: channel.id, to: message.recipient, status: reported, error: error, in: tx)
        }
    }

    // MARK: Media

    /// The bytes and type of media a handset sent: kept (sandbox) or fetched from the Graph API (Cloud API).
    func media(_ id: String, in resource: ResourceHandle) async throws -> (Data, String) {
        guard let uuid = UUID(uuidString: id) else { throw MessagesError.mediaNotFound(id) }
        guard
            let media = try await resource.store.read({ db in
                try await MessagesStore.media(uuid.uuidString.lowercased(), resource: resource, in: db)
            })
        else { throw MessagesError.mediaNotFound(id) }
        if let content = media.content { return (content, media.mimeType) }
        guard let graphID = media.graphMediaID,
            let channel = try await resource.store.read({ db in try await MessagesStore.channel(media.channelID, resource: resource, in: db) })
        else { throw MessagesError.mediaNotFound(id) }
        guard let bytes = await cloud.download(graphID, channel: channel) else { throw MessagesError.mediaNotFound(id) }
        return (bytes, media.mimeType)
    }

    func sandboxMessages(handset: String?, before: MessagesStore.SandboxCursor?, limit: Int, in resource: ResourceHandle) async throws
        -> [(MessagesStore.SandboxEntry, MessagesStore.SandboxCursor)]
    {
        try await resource.store.read { db in
            try await MessagesStore.sandbox(handset: handset, before: before, limit: limit, resource: resource, in: db)
        }
    }
}
