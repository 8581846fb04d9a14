import Foundation

/// A registered WhatsApp Business channel.
public struct WhatsAppChannel: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// Captures what would be sent; its handsets are driven through the sandbox API.
        case sandbox
        /// The WhatsApp Cloud API (Meta's Graph API) with the business phone number's id.
        case cloudAPI = "cloudApi"
    }

    public let id: String
    public let kind: Kind
    public let phoneNumberID: String?
    /// The WhatsApp Business Account the number belongs to (Cloud API, optional): where Meta keeps the templates
    /// `list_templates` syncs.
    public let businessAccountID: String?
    /// Sealed at rest; never answered.
    let accessToken: String?
    let appSecret: String?
    let verifyToken: String?
    public let createdAt: Timestamp
    /// When Meta's templates were last synced into the channel's snapshot (Cloud API with a business account).
    public var templatesSyncedAt: Timestamp? = nil
}

/// What the channel API answers: never a secret, only whether each was given.
struct ChannelModel: Encodable, Sendable {
    let id: String
    let kind: String
    let phoneNumberId: String?
    let businessAccountId: String?
    let accessTokenSet: Bool
    let appSecretSet: Bool
    let verifyTokenSet: Bool
    /// The path (under the server's address) to give Meta as the webhook's callback URL.
    let webhookPath: String?
    let createdDateTime: String
    /// When Meta's templates were last synced (Cloud API).
    let templatesSyncedDateTime: String?

    init(_ channel: WhatsAppChannel, resource: ResourceHandle) {
        id = channel.id
        kind = channel.kind.rawValue
        phoneNumberId = channel.phoneNumberID
        businessAccountId = channel.businessAccountID
        accessTokenSet = channel.accessToken != nil
        appSecretSet = channel.appSecret != nil
        verifyTokenSet = channel.verifyToken != nil
        webhookPath = channel.kind == .cloudAPI ? "/-/whatsapp/\(WhatsAppWebhook.channelKey(resource: resource, channel: channel.id))/webhook" : nil
        createdDateTime = APIDate.format(channel.createdAt.date)
        templatesSyncedDateTime = channel.templatesSyncedAt.map { APIDate.format($0.date) }
    }
}

/// A template a channel may send, as `list_templates` answers it.
struct TemplateModel: Codable, Sendable {
    var kind = "whatsApp"
    let name: String
    let language: String
    let status: String
    let content: JSONValue?
}

/// The content of one outgoing message, validated: what the outbox row carries (sealed) and the sandbox shows.
struct MessageContent: Codable, Sendable, Equatable {
    enum Kind: String, Codable, Sendable, CaseIterable {
        case text
        case image
        case imageV0 = "image_v0"
        case document
        case video
        case audio
        case template
    }

    struct Template: Codable, Sendable, Equatable {
        let name: String
        let language: String
        let values: [JSONValue]?
        let bindings: JSONValue?
    }

    let kind: Kind
    var text: String?
    var mediaUri: String?
    var caption: String?
    var fileName: String?
    var template: Template?

    /// Templates may start a conversation; everything else is free-form.
    var isFreeForm: Bool { kind != .template }

    /// The words the policy's content rules read.
    var searchableText: String {
        switch kind {
        case .text: text ?? ""
        case .template: ([template?.name ?? ""] + (template?.values ?? []).flatMap(Self.strings)).joined(separator: " ")
        default: [caption, fileName, mediaUri].compactMap { $0 }.joined(separator: " ")
        }
    }

    static func strings(_ value: JSONValue) -> [String] {
        switch value {
        case .string(let text): [text]
        case .array(let items): items.flatMap(strings)
        case .object(let fields): fields.keys.sorted().flatMap { strings(fields[$0]!) }
        default: []
        }
    }
}

/// `POST /messages/notifications:send`: the body, discriminated by `kind`.
struct SendBody: Decodable {
    struct TemplateBody: Decodable {
        let name: String?
        let language: String?
        let values: [JSONValue]?
        let bindings: JSONValue?
    }

    let kind: String?
    let channelRegistrationId: String?
    let to: [String]?
    let content: String?
    let mediaUri: String?
    let caption: String?
    let fileName: String?
    let template: TemplateBody?

    static let textLimit = 4096
    static let captionLimit = 1024
    static let templateValueKinds: Set<String> = ["text", "image", "document", "video", "location", "quickAction"]

    /// The content, checked as WhatsApp would refuse it: required fields per kind, lengths, media URIs, template
    /// values and bindings that refer to them.
    func validated() throws(MessagesError) -> MessageContent {
        guard let text = kind, let kind = MessageContent.Kind(rawValue: text) else {
            throw .invalid(
                "kind must be one of \(MessageContent.Kind.allCases.map(\.rawValue).joined(separator: ", ")).", target: "kind")
        }
        switch kind {
        case .text:
            guard let content, !content.isEmpty else { throw .invalid("A text message needs its content.", target: "content") }
            guard content.count <= Self.textLimit else {
                throw .invalid("A text message is at most \(Self.textLimit) characters.", target: "content")
            }
            return MessageContent(kind: .text, text: content)
        case .image, .imageV0, .document, .video, .audio:
            let uri = try Self.mediaURI(mediaUri, target: "mediaUri")
            // The deprecated image_v0 carries its caption in `content`.
            let caption = kind == .imageV0 ? content : self.caption
            if kind == .audio, caption != nil { throw .invalid("An audio message has no caption.", target: "caption") }
            if let caption, caption.count > Self.captionLimit {
                throw .invalid("A caption is at most \(Self.captionLimit) characters.", target: "caption")
            }
            if kind != .document, fileName != nil { throw .invalid("Only a document has a file name.", target: "fileName") }
            return MessageContent(kind: kind, mediaUri: uri, caption: caption, fileName: kind == .document ? fileName : nil)
        case .template:
            guard let template else { throw .invalid("A template message needs its template.", target: "template") }
            guard let name = template.name, !name.isEmpty, name.count <= 512, Self.printable(name) else {
                throw .invalid("The template needs its name.", target: "template.name")
            }
            guard let language = template.language, !language.isEmpty, language.count <= 16, Self.printable(language) else {
                throw .invalid("The template needs its language, e.g. en_US.", target: "template.language")
            }
            var names = Set<String>()
            for (index, value) in (template.values ?? []).enumerated() {
                try Self.check(value, target: "template.values[\(index)]", names: &names)
            }
            if let bindings = template.bindings { try Self.check(bindings: bindings, names: names) }
            return MessageContent(
                kind: .template, template: .init(name: name, language: language, values: template.values, bindings: template.bindings))
        }
    }

    /// No control characters (names and languages are stored as text).
    static func printable(_ text: String) -> Bool {
        !text.unicodeScalars.contains { $0.value < 32 || $0.value == 127 }
    }

    static func mediaURI(_ text: String?, target: String) throws(MessagesError) -> String {
        guard let text, !text.isEmpty else { throw .invalid("A media message needs its mediaUri.", target: target) }
        guard text.count <= 2048, let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil
        else { throw .invalid("\(target) must be an http or https URL.", target: target) }
        return text
    }

    static func string(_ fields: [String: JSONValue], _ key: String) -> String? {
        if case .string(let text) = fields[key] { return text }
        return nil
    }

    static func check(_ value: JSONValue, target: String, names: inout Set<String>) throws(MessagesError) {
        guard case .object(let fields) = value else { throw .invalid("A template value is an object.", target: target) }
        guard let kind = string(fields, "kind"), templateValueKinds.contains(kind) else {
            throw .invalid(
                "A template value's kind is one of \(templateValueKinds.sorted().joined(separator: ", ")).", target: "\(target).kind")
        }
        guard let name = string(fields, "name"), !name.isEmpty else { throw .invalid("A template value needs its name.", target: "\(target).name") }
        guard names.insert(name).inserted else { throw .invalid("Template value names are unique; '\(name)' repeats.", target: "\(target).name") }
        switch kind {
        case "text":
            guard string(fields, "text") != nil else { throw .invalid("A text value needs its text.", target: "\(target).text") }
        case "image", "document", "video":
            _ = try mediaURI(string(fields, "url"), target: "\(target).url")
        case "location":
            for key in ["latitude", "longitude"] {
                guard case .number(let degrees) = fields[key], abs(degrees) <= (key == "latitude" ? 90 : 180) else {
                    throw .invalid("A location value needs its \(key) in degrees.", target: "\(target).\(key)")
                }
            }
        default:
            break
        }
    }

    static func check(bindings: JSONValue, names: Set<String>) throws(MessagesError) {
        guard case .object(let fields) = bindings else { throw .invalid("The bindings are an object.", target: "template.bindings") }
        guard string(fields, "kind") == "whatsApp" else {
            throw .invalid("The bindings' kind must be whatsApp.", target: "template.bindings.kind")
        }
        for component in ["header", "body", "footer", "buttons"] {
            guard let list = fields[component] else { continue }
            guard case .array(let items) = list else {
                throw .invalid("The bindings' \(component) is a list.", target: "template.bindings.\(component)")
            }
            for (index, item) in items.enumerated() {
                let target = "template.bindings.\(component)[\(index)]"
                guard case .object(let binding) = item, let ref = string(binding, "refValue") else {
                    throw .invalid("A binding needs its refValue.", target: "\(target).refValue")
                }
                guard names.contains(ref) else {
                    throw .invalid("The binding refers to '\(ref)', which is no value of the template.", target: "\(target).refValue")
                }
                if component == "buttons" {
                    guard let subType = string(binding, "subType"), ["quickReply", "url"].contains(subType) else {
                        throw .invalid("A button binding's subType is quickReply or url.", target: "\(target).subType")
                    }
                }
            }
        }
    }
}

/// One recipient's receipt.
struct MessageReceipt: Codable, Sendable, Equatable {
    let messageId: String
    let to: String
}

struct SendResult: Codable, Sendable {
    let receipts: [MessageReceipt]
}
