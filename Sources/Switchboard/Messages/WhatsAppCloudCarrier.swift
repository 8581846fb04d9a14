import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The WhatsApp Cloud API (Meta's Graph API) as a carrier: `POST {graph}/{version}/{phone-number-id}/messages` with the
/// channel's access token, and the media endpoints (`GET {graph}/{version}/{media-id}`, then its `url`). The Graph
/// base URL is configurable (`--whatsapp-graph-url`) so tests point it at a local peer.
struct WhatsAppCloudCarrier: Sendable {
    let http: HTTPClient
    let configuration: MessagesConfiguration

    enum Outcome: Sendable {
        /// Meta accepted the message: its `wamid`.
        case accepted(String)
        case retry(String, status: Int?)
        case refused(code: String, message: String, status: Int)
    }

    var base: String {
        let url = configuration.graphURL.hasSuffix("/") ? String(configuration.graphURL.dropLast()) : configuration.graphURL
        return "\(url)/\(configuration.graphVersion)"
    }

    func send(_ payload: MessagesService.SendPayload, channel: WhatsAppChannel) async -> Outcome {
        guard let number = channel.phoneNumberID, let token = channel.accessToken else {
            return .refused(code: "ChannelIncomplete", message: "The channel has no phone-number id or access token.", status: 0)
        }
        let body: Data
        do {
            body = try JSONSerialization.data(withJSONObject: Self.graphMessage(payload), options: [.sortedKeys])
        } catch {
            return .refused(code: "InvalidContent", message: "The message could not be written for the Graph API.", status: 0)
        }
        var request = HTTPClientRequest(url: "\(base)/\(number)/messages")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await http.execute(request, timeout: .seconds(30))
            let status = Int(response.status.code)
            let data = Data((try await response.body.collect(upTo: 1 << 20)).readableBytesView)
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            if (200..<300).contains(status) {
                guard let id = (json?["messages"] as? [[String: Any]])?.first?["id"] as? String else {
                    return .retry("the Graph API's answer names no message id", status: status)
                }
                return .accepted(id)
            }
            if status == 429 || status >= 500 { return .retry("the Graph API answered \(status)", status: status) }
            let error = json?["error"] as? [String: Any]
            let code = (error?["code"] as? Int).map(String.init) ?? String(status)
            return .refused(code: code, message: error?["message"] as? String ?? "HTTP \(status)", status: status)
        } catch {
            return .retry("the Graph API could not be reached", status: nil)
        }
    }

    /// The bytes of media a handset sent: its URL from the Graph API, then the URL itself, both with the token.
    func download(_ mediaID: String, channel: WhatsAppChannel) async -> Data? {
        guard let token = channel.accessToken, mediaID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_") })
        else { return nil }
        guard let meta = await get("\(base)/\(mediaID)", token: token),
            let json = (try? JSONSerialization.jsonObject(with: meta)) as? [String: Any], let url = json["url"] as? String
        else { return nil }
        return await get(url, token: token)
    }

    private func get(_ url: String, token: String) async -> Data? {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        guard let response = try? await http.execute(request, timeout: .seconds(30)), response.status == .ok,
            let body = try? await response.body.collect(upTo: 100 << 20)
        else { return nil }
        return Data(body.readableBytesView)
    }

    /// The Graph API's message object for a content.
    static func graphMessage(_ payload: MessagesService.SendPayload) -> [String: Any] {
        let content = payload.content
        var message: [String: Any] = [
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": String(payload.to.drop { $0 == "+" }),
        ]
        func media(_ extra: [String: String?]) -> [String: Any] {
            var object: [String: Any] = ["link": content.mediaUri ?? ""]
            for (key, value) in extra { if let value { object[key] = value } }
            return object
        }
        switch content.kind {
        case .text:
            message["type"] = "text"
            message["text"] = ["body": content.text ?? ""]
        case .image, .imageV0:
            message["type"] = "image"
            message["image"] = media(["caption": content.caption])
        case .document:
            message["type"] = "document"
            message["document"] = media(["caption": content.caption, "filename": content.fileName])
        case .video:
            message["type"] = "video"
            message["video"] = media(["caption": content.caption])
        case .audio:
            message["type"] = "audio"
            message["audio"] = media([:])
        case .template:
            message["type"] = "template"
            message["template"] = template(content.template)
        }
        return message
    }

    /// ACS's template values and WhatsApp bindings as Graph API components.
    static func template(_ template: MessageContent.Template?) -> [String: Any] {
        guard let template else { return [:] }
        var values: [String: [String: JSONValue]] = [:]
        for value in template.values ?? [] {
            if case .object(let fields) = value, let name = SendBody.string(fields, "name") { values[name] = fields }
        }
        func parameter(_ name: String, button: Bool) -> [String: Any]? {
            guard let fields = values[name], let kind = SendBody.string(fields, "kind") else { return nil }
            switch kind {
            case "text":
                return ["type": "text", "text": SendBody.string(fields, "text") ?? ""]
            case "image", "document", "video":
                var object: [String: Any] = ["link": SendBody.string(fields, "url") ?? ""]
                if let caption = SendBody.string(fields, "caption") { object["caption"] = caption }
                if kind == "document", let name = SendBody.string(fields, "fileName") { object["filename"] = name }
                return ["type": kind, kind: object]
            case "location":
                var object: [String: Any] = [:]
                for key in ["latitude", "longitude"] { if case .number(let degrees) = fields[key] { object[key] = degrees } }
                if let name = SendBody.string(fields, "locationName") { object["name"] = name }
                if let address = SendBody.string(fields, "address") { object["address"] = address }
                return ["type": "location", "location": object]
            case "quickAction":
                if button, let payload = SendBody.string(fields, "payload") { return ["type": "payload", "payload": payload] }
                return ["type": "text", "text": SendBody.string(fields, "text") ?? SendBody.string(fields, "payload") ?? ""]
            default:
                return nil
            }
        }
        var components: [[String: Any]] = []
        if case .object(let bindings) = template.bindings {
            for component in ["header", "body", "footer"] {
                guard case .array(let items) = bindings[component] else { continue }
                let parameters = items.compactMap { item -> [String: Any]? in
                    guard case .object(let binding) = item, let ref = SendBody.string(binding, "refValue") else { return nil }
                    return parameter(ref, button: false)
                }
                components.append(["type": component, "parameters": parameters])
            }
            if case .array(let buttons) = bindings["buttons"] {
                for (index, item) in buttons.enumerated() {
                    guard case .object(let binding) = item, let ref = SendBody.string(binding, "refValue"),
                        let parameter = parameter(ref, button: true)
                    else { continue }
                    let subType = SendBody.string(binding, "subType") == "url" ? "url" : "quick_reply"
                    components.append(["type": "button", "sub_type": subType, "index": String(index), "parameters": [parameter]])
                }
            }
        }
        var object: [String: Any] = ["name": template.name, "language": ["code": template.language]]
        if !components.isEmpty { object["components"] = components }
        return object
    }
}

/// The Advanced Messages capability's settings (`configuration.whatsapp`).
public struct MessagesConfiguration: Sendable {
    /// Meta's Graph API (`--whatsapp-graph-url`); tests point it at a local peer.
    public var graphURL = "https://graph.facebook.com"
    /// The Graph API version in its paths.
    public var graphVersion = "v21.0"
    /// How long one Graph call for the template list may take.
    public var graphTimeout: TimeAmount = .seconds(15)

    public init() {}
}
