import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Meta's message templates: `GET {graph}/{version}/{business-account-id}/message_templates` with the channel's access
/// token, page after page by Meta's cursors, as ACS's template items.
extension WhatsAppCloudCarrier {
    /// Why Meta's templates could not be fetched.
    enum GraphFailure: Error, Equatable, Sendable {
        /// Meta refused the access token (HTTP 401 or OAuth error 190).
        case tokenRejected(message: String)
        /// Meta refused the request otherwise (an unknown business account, a missing permission): its code and message.
        case refused(status: Int, code: String, message: String)
        /// Meta answered 429 or 5xx, or something that is no Graph answer, or could not be reached.
        case unavailable(String)
        /// Meta did not answer in time.
        case timedOut

        var messagesError: MessagesError {
            switch self {
            case .tokenRejected(let message): .graphTokenRejected(message: message)
            case .refused(let status, let code, let message): .graphRefused(status: status, code: code, message: message)
            case .unavailable(let reason): .graphUnavailable(reason)
            case .timedOut: .graphTimedOut
            }
        }
    }

    /// The fields asked of each template; Graph answers them and the template's `id`.
    static let templateFields = "name,language,status,category,components"
    /// Templates per Graph page (Meta's limit is larger; this keeps pages small).
    static let templatePageSize = 100
    /// At most this many pages are followed: 10,000 templates, far above what Meta lets an account have.
    static let templatePageLimit = 100

    /// Every template of the channel's WhatsApp Business Account, as `list_templates` shows it: ACS's status, and
    /// Meta's template object (name, language, status, category, components, id) as the content.
    func templates(of channel: WhatsAppChannel) async throws(GraphFailure) -> [TemplateModel] {
        guard let account = channel.businessAccountID, let token = channel.accessToken else {
            throw .refused(status: 0, code: "ChannelIncomplete", message: "The channel has no business account id or access token.")
        }
        var templates: [TemplateModel] = []
        var after: String?
        for _ in 0..<Self.templatePageLimit {
            var query = "fields=\(Self.templateFields)&limit=\(Self.templatePageSize)"
            if let after { query += "&after=\(Self.queryEscaped(after))" }
            let page = try await graphJSON("\(base)/\(account)/message_templates?\(query)", token: token)
            guard case .array(let items) = page["data"] ?? .null else { throw .unavailable("the Graph API's answer has no data") }
            templates += items.compactMap(Self.templateItem)
            // Meta gives `paging.next` only while there is more; its `cursors.after` is where the next page starts.
            // The next page is asked of the configured Graph URL, so the token never goes where an answer points.
            guard case .object(let paging) = page["paging"] ?? .null, paging["next"] != nil, paging["next"] != .null else { return templates }
            guard case .object(let cursors) = paging["cursors"] ?? .null, case .string(let next) = cursors["after"] ?? .null, !next.isEmpty,
                next != after
            else { throw .unavailable("the Graph API's answer has a next page but no cursor to it") }
            after = next
        }
        throw .unavailable("the Graph API's template list did not end after \(Self.templatePageLimit) pages")
    }

    /// One of Meta's templates as ACS's item, or `nil` when it lacks a usable name or language.
    static func templateItem(_ value: JSONValue) -> TemplateModel? {
        guard case .object(let fields) = value, let name = SendBody.string(fields, "name"), let language = SendBody.string(fields, "language"),
            !name.isEmpty, name.count <= 512, SendBody.printable(name), !language.isEmpty, language.count <= 16, SendBody.printable(language)
        else { return nil }
        return TemplateModel(name: name, language: language, status: status(SendBody.string(fields, "status")), content: value)
    }

    /// Meta's template status as ACS's four: only `APPROVED` may be sent; `PAUSED` is paused; what Meta still reviews
    /// (or an appeal) is pending; what it refused, disabled or is deleting is rejected.
    static func status(_ meta: String?) -> String {
        switch meta?.uppercased() {
        case "APPROVED": "approved"
        case "PAUSED": "paused"
        case "REJECTED", "DISABLED", "DELETED", "PENDING_DELETION", "ARCHIVED", "LIMIT_EXCEEDED": "rejected"
        default: "pending"
        }
    }

    static func queryEscaped(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// A Graph GET with the token, its JSON object, or why not.
    func graphJSON(_ url: String, token: String) async throws(GraphFailure) -> [String: JSONValue] {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        let status: Int
        let data: Data
        do {
            let response = try await http.execute(request, timeout: configuration.graphTimeout)
            status = Int(response.status.code)
            data = Data((try await response.body.collect(upTo: 8 << 20)).readableBytesView)
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            throw .timedOut
        } catch {
            throw .unavailable("the Graph API could not be reached")
        }
        let json = try? JSONBody.decoder.decode(JSONValue.self, from: data)
        if (200..<300).contains(status) {
            guard case .object(let fields) = json else { throw .unavailable("the Graph API's answer is not a JSON object") }
            return fields
        }
        if status == 429 || status >= 500 { throw .unavailable("the Graph API answered \(status)") }
        var code = String(status)
        var message = "HTTP \(status)"
        if case .object(let body) = json, case .object(let error) = body["error"] ?? .null {
            if case .number(let number) = error["code"] ?? .null, let integer = Int(exactly: number) { code = String(integer) }
            if let text = SendBody.string(error, "message"), SendBody.printable(text) { message = String(text.prefix(300)) }
        }
        if status == 401 || code == "190" { throw .tokenRejected(message: message) }
        throw .refused(status: status, code: code, message: message)
    }
}
