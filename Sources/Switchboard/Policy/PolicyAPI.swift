import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The messaging policy's own API under the resource's endpoint (`/messaging/…`, `api-version=2026-12-01`, signed
/// with the resource's access key): programs, consents, opt-outs, content rules, the dry run and the summary.
/// Settings (the mode) are the operator's, through the CLI.
public struct PolicyAPI: Sendable {
    public static let service = APIService(name: "messaging", versions: ["2026-12-01"])

    let policy: PolicyService
    let resources: ResourceRegistry

    public func routes(accessKey auth: any Authenticator) -> [Route] {
        let s = Self.service
        return [
            Route(.put, "/messaging/programs/{programId}", service: s, auth: auth, handler: putProgram),
            Route(.get, "/messaging/programs/{programId}", service: s, auth: auth, handler: getProgram),
            Route(.delete, "/messaging/programs/{programId}", service: s, auth: auth, handler: deleteProgram),
            Route(.get, "/messaging/programs", service: s, auth: auth, handler: listPrograms),
            Route(.post, "/messaging/consents", service: s, auth: auth, handler: recordConsent),
            Route(.get, "/messaging/consents", service: s, auth: auth, handler: listConsents),
            Route(.get, "/messaging/consents:export", service: s, auth: auth, handler: exportConsents),
            Route(.post, "/messaging/optouts", service: s, auth: auth, handler: recordOptOut),
            Route(.get, "/messaging/optouts", service: s, auth: auth, handler: listOptOuts),
            Route(.get, "/messaging/contentRules", service: s, auth: auth, handler: listRules),
            Route(.put, "/messaging/contentRules/{ruleId}", service: s, auth: auth, handler: putRule),
            Route(.get, "/messaging/contentRules/{ruleId}", service: s, auth: auth, handler: getRule),
            Route(.delete, "/messaging/contentRules/{ruleId}", service: s, auth: auth, handler: deleteRule),
            Route(.post, "/messaging/policy:evaluate", service: s, auth: auth, handler: evaluate),
            Route(.get, "/messaging/policy/summary", service: s, auth: auth, handler: summary),
            Route(.get, "/messaging/policy/decisions", service: s, auth: auth, handler: decisions),
            Route(.get, "/messaging/policy/settings", service: s, auth: auth, handler: settings),
        ]
    }

    /// The double opt-in confirmation link of an email: a page that confirms with one press (a POST, so a mail
    /// scanner following links confirms nothing). Public: the token in the link is the credential.
    public var systemRoutes: [SystemRoute] {
        [
            SystemRoute(.get, "/messaging/confirm/{resource}/{token}", auth: NoCredentials(), handler: confirmationPage),
            SystemRoute(.post, "/messaging/confirm/{resource}/{token}", auth: NoCredentials(), handler: confirm),
        ]
    }

    struct Cursor: Codable {
        let after: String
    }

    static func pageSize(_ request: APIRequest) throws -> Int {
        try Paging.pageSize(request, defaultSize: 100, maximum: 1000)
    }

    static func page<Item: Encodable & Sendable>(
        _ items: [Item], size: Int, key: (Item) -> String, request: APIRequest, path: String, keeping: [String]
    ) -> Page<Item> {
        let next =
            items.count == size ? items.last.map { Paging.nextLink(request, path: path, cursor: Cursor(after: key($0)), keeping: keeping) } : nil
        return Page(value: items, nextLink: next ?? nil)
    }

    // MARK: Programs

    struct ProgramBody: Decodable {
        var name: String
        var description: String?
        var purpose: String?
        var category: String?
        var senders: [String]?
        var frequency: String?
        var fees: String?
        var helpText: String?
        var termsUrl: String?
        var privacyUrl: String?
        var ageGated: Bool?
        var doubleOptIn: Bool?
        var thirdParty: String?
    }

    @Sendable func putProgram(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(ProgramBody.self)
        let purpose = try body.purpose.map { text throws(PolicyError) in
            guard let purpose = MessagingProgram.Purpose(rawValue: text) else {
                throw .invalid("purpose must be informational or promotional.", target: "purpose")
            }
            return purpose
        }
        let category = try body.category.map { text throws(PolicyError) in
            guard let category = MessagingProgram.Category(rawValue: text) else {
                throw .invalid(
                    "category must be one of \(MessagingProgram.Category.allCases.map(\.rawValue).joined(separator: ", ")).", target: "category")
            }
            return category
        }
        let program = MessagingProgram(
            id: request.parameter("programId"), name: body.name, description: body.description, purpose: purpose ?? .informational,
            category: category ?? .general, senders: body.senders ?? [], frequency: body.frequency, fees: body.fees, helpText: body.helpText,
            termsUrl: body.termsUrl, privacyUrl: body.privacyUrl, ageGated: body.ageGated ?? false, doubleOptIn: body.doubleOptIn ?? false,
            thirdParty: body.thirdParty)
        let (saved, created) = try await policy.putProgram(program, in: request.resource)
        return try JSONBody.response(saved, status: created ? .created : .ok)
    }

    @Sendable func getProgram(_ request: APIRequest) async throws -> Response {
        try JSONBody.response(try await policy.program(request.parameter("programId"), in: request.resource))
    }

    @Sendable func deleteProgram(_ request: APIRequest) async throws -> Response {
        try await policy.deleteProgram(request.parameter("programId"), in: request.resource)
        return Response(status: .noContent)
    }

    @Sendable func listPrograms(_ request: APIRequest) async throws -> Response {
        let size = try Self.pageSize(request)
        let cursor = try Paging.cursor(request, as: Cursor.self)
        let programs = try await policy.programs(after: cursor?.after, limit: size, in: request.resource)
        return try JSONBody.response(
            Self.page(programs, size: size, key: \.id, request: request, path: "/messaging/programs", keeping: ["maxPageSize"]))
    }

    // MARK: Consents

    struct ConsentBody: Decodable {
        var recipient: String
        var channel: String
        var programId: String?
        var kind: String
        var evidence: Consent.Evidence
        var communicationUserId: String?
    }

    @Sendable func recordConsent(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(ConsentBody.self)
        guard let kind = Consent.Kind(rawValue: body.kind) else {
            throw PolicyError.invalid("kind must be written or oral.", target: "kind")
        }
        let consent = try await policy.recordConsent(
            .init(
                recipient: body.recipient, channel: try MessagingChannel(parsing: body.channel),
                programID: body.programId ?? MessagingProgram.defaultID, kind: kind, evidence: body.evidence,
                communicationUserID: body.communicationUserId),
            in: request.resource, serverURL: Self.serverURL(request))
        return try JSONBody.response(consent, status: .created)
    }

    static func serverURL(_ request: APIRequest) -> String {
        String(request.endpoint.dropLast(request.resource.name.count + 1))
    }

    static func channel(_ request: APIRequest) throws -> MessagingChannel? {
        try request.query["channel"].map { try MessagingChannel(parsing: $0) }
    }

    @Sendable func listConsents(_ request: APIRequest) async throws -> Response {
        let size = try Self.pageSize(request)
        let cursor = try Paging.cursor(request, as: Cursor.self)
        let consents = try await policy.consents(
            recipient: request.query["recipient"], channel: try Self.channel(request), programID: request.query["programId"],
            after: cursor?.after, limit: size, in: request.resource)
        return try JSONBody.response(
            Self.page(
                consents, size: size, key: \.id, request: request, path: "/messaging/consents",
                keeping: ["recipient", "programId", "channel", "maxPageSize"]))
    }

    /// Every consent with its history, for auditors: JSON, or CSV with one line per history entry.
    @Sendable func exportConsents(_ request: APIRequest) async throws -> Response {
        let format = (request.query["format"] ?? "json").lowercased()
        guard format == "json" || format == "csv" else { throw PolicyError.invalid("format must be csv or json.", target: "format") }
        var all: [Consent] = []
        var after: String?
        while true {
            let page = try await policy.consents(
                recipient: request.query["recipient"], channel: try Self.channel(request), programID: request.query["programId"], after: after,
                limit: 1000, in: request.resource)
            all += page
            guard page.count == 1000, let last = page.last else { break }
            after = last.id
        }
        let filename = "consents-\(request.resource.name)"
        if format == "json" {
            return try JSONBody.response(
                Page(value: all, nextLink: nil), headers: [.contentDisposition: "attachment; filename=\"\(filename).json\""])
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"\(filename).csv\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: ConsentLedgerExport.csv(all))))
    }

    // MARK: Opt-outs

    struct OptOutBody: Decodable {
        var recipient: String
        var channel: String?
        var programId: String?
        var source: String?
    }

    @Sendable func recordOptOut(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(OptOutBody.self)
        let optOut = try await policy.recordOptOut(
            .init(
                recipient: body.recipient, channel: try body.channel.map { try MessagingChannel(parsing: $0) }, programID: body.programId,
                source: body.source ?? "api"),
            in: request.resource)
        return try JSONBody.response(optOut, status: .created)
    }

    @Sendable func listOptOuts(_ request: APIRequest) async throws -> Response {
        let size = try Self.pageSize(request)
        let cursor = try Paging.cursor(request, as: Cursor.self)
        let optOuts = try await policy.optOuts(recipient: request.query["recipient"], after: cursor?.after, limit: size, in: request.resource)
        return try JSONBody.response(
            Self.page(optOuts, size: size, key: \.id, request: request, path: "/messaging/optouts", keeping: ["recipient", "maxPageSize"]))
    }

    // MARK: Content rules

    struct RuleBody: Decodable {
        var kind: String?
        var category: String?
        var description: String?
        var patterns: [String]?
        var urlDomains: [String]?
        var enabled: Bool?
    }

    @Sendable func listRules(_ request: APIRequest) async throws -> Response {
        try JSONBody.response(Page(value: try await policy.contentRules(in: request.resource), nextLink: nil))
    }

    @Sendable func getRule(_ request: APIRequest) async throws -> Response {
        let id = request.parameter("ruleId")
        guard let rule = try await policy.contentRules(in: request.resource).first(where: { $0.id == id }) else {
            throw PolicyError.ruleNotFound(id)
        }
        return try JSONBody.response(rule)
    }

    @Sendable func putRule(_ request: APIRequest) async throws -> Response {
        let id = request.parameter("ruleId")
        let body = try request.decode(RuleBody.self)
        var rule: ContentRule?
        if body.patterns != nil || body.urlDomains != nil || body.kind != nil {
            guard let text = body.kind, let kind = ContentRule.Kind(rawValue: text) else {
                throw PolicyError.invalid("kind must be prohibited, ageRestricted or solicitation.", target: "kind")
            }
            rule = ContentRule(
                id: id, kind: kind, category: body.category ?? kind.rawValue, description: body.description ?? "Rule \(id) of the resource.",
                patterns: body.patterns ?? [], urlDomains: body.urlDomains ?? [])
        }
        let view = try await policy.putContentRule(rule, id: id, enabled: body.enabled ?? true, in: request.resource)
        return try JSONBody.response(view)
    }

    @Sendable func deleteRule(_ request: APIRequest) async throws -> Response {
        try await policy.deleteContentRule(request.parameter("ruleId"), in: request.resource)
        return Response(status: .noContent)
    }

    // MARK: The gate

    struct EvaluateBody: Decodable {
        var channel: String
        var from: String
        var to: [String]
        var content: String?
        var subject: String?
        var html: String?
    }

    struct Evaluation: Encodable {
        let to: String
        let decision: String
        /// Whether the message would be sent in the resource's mode.
        let allowed: Bool
        let code: String?
        let rule: String
        let reason: String
        let programId: String?
        let mode: PolicyMode
    }

    @Sendable func evaluate(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(EvaluateBody.self)
        let message = PolicyMessage(
            channel: try MessagingChannel(parsing: body.channel), from: body.from, to: body.to, subject: body.subject, text: body.content,
            html: body.html)
        let decisions = try await policy.evaluate(message, in: request.resource)
        return try JSONBody.response(
            Page(
                value: decisions.map {
                    Evaluation(
                        to: $0.recipient, decision: $0.code == nil ? "accept" : "refuse", allowed: $0.allowed, code: $0.code?.rawValue,
                        rule: $0.rule, reason: $0.reason, programId: $0.programId, mode: $0.mode)
                }, nextLink: nil))
    }

    @Sendable func summary(_ request: APIRequest) async throws -> Response {
        let days = try Paging.integer(request, "days", in: 1...90, code: "InvalidRequest")
        return try JSONBody.response(try await policy.summary(days: days ?? 30, in: request.resource))
    }

    struct DecisionCursor: Codable {
        let before: String
    }

    @Sendable func decisions(_ request: APIRequest) async throws -> Response {
        let size = try Self.pageSize(request)
        let cursor = try Paging.cursor(request, as: DecisionCursor.self)
        let refusedOnly = request.query["refused"].map { $0.lowercased() == "true" } ?? false
        let decisions = try await policy.decisions(refusedOnly: refusedOnly, before: cursor?.before, limit: size, in: request.resource)
        let next =
            decisions.count == size
            ? decisions.last.map {
                Paging.nextLink(
                    request, path: "/messaging/policy/decisions",
                    cursor: DecisionCursor(before: "\(Timestamp($0.decidedOn).milliseconds):\($0.id)"), keeping: ["refused", "maxPageSize"])
            } : nil
        return try JSONBody.response(Page(value: decisions, nextLink: next ?? nil))
    }

    struct SettingsView: Encodable {
        let mode: PolicyMode
        let conversationWindowHours: Double
    }

    @Sendable func settings(_ request: APIRequest) async throws -> Response {
        let settings = try await policy.settings(of: request.resource)
        return try JSONBody.response(
            SettingsView(mode: settings.mode, conversationWindowHours: Double(settings.conversationWindow.components.seconds) / 3600))
    }

    // MARK: The confirmation link

    @Sendable func confirmationPage(_ request: SystemRequest) async throws -> Response {
        guard try await resources.handle(named: request.parameter("resource")) != nil else {
            return Self.page(status: .notFound, title: "Link not valid", body: "This confirmation link is not valid.")
        }
        return Self.page(
            status: .ok, title: "Confirm your subscription",
            body: """
                <p>Press the button to confirm that you want to receive these messages.</p>
                <form method="post"><button type="submit">Confirm</button></form>
                """)
    }

    @Sendable func confirm(_ request: SystemRequest) async throws -> Response {
        guard let resource = try await resources.handle(named: request.parameter("resource")) else {
            return Self.page(status: .notFound, title: "Link not valid", body: "This confirmation link is not valid.")
        }
        do {
            try await policy.confirm(token: request.parameter("token"), in: resource)
        } catch PolicyError.consentNotFound {
            return Self.page(status: .notFound, title: "Link not valid", body: "This confirmation link is not valid or was already used.")
        }
        return Self.page(status: .ok, title: "Subscription confirmed", body: "<p>Thank you: your subscription is confirmed.</p>")
    }

    static func page(status: HTTPResponse.Status, title: String, body: String) -> Response {
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">\
            <title>\(title)</title></head><body><h1>\(title)</h1>\(body)</body></html>
            """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = "default-src 'none'; form-action 'self'"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// The consent ledger as CSV: one line per history entry. Cells that a spreadsheet would read as a formula are
/// prefixed with `'`.
public enum ConsentLedgerExport {
    static let header = [
        "consentId", "recipient", "channel", "programId", "kind", "state", "thirdParty", "ageVerified", "action", "at", "source", "medium",
        "capturedOn", "campaign", "ipAddress", "sessionId", "userAgent", "screenshotRef", "callToAction",
    ]

    public static func csv(_ consents: [Consent]) -> String {
        var lines = [header.joined(separator: ",")]
        for consent in consents {
            for entry in consent.history {
                let evidence = entry.evidence
                let cells: [String?] = [
                    consent.id, consent.recipient, consent.channel.rawValue, consent.programId, consent.kind.rawValue, consent.state.rawValue,
                    consent.thirdParty, consent.ageVerified ? "true" : "false", entry.action.rawValue, APIDate.format(entry.at), entry.source,
                    evidence?.medium, evidence?.capturedOn.map(APIDate.format), evidence?.campaign, evidence?.ipAddress, evidence?.sessionId,
                    evidence?.userAgent, evidence?.screenshotRef, evidence?.callToAction,
                ]
                lines.append(cells.map { cell($0 ?? "") }.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func cell(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@\t\r".contains(first) { value = "'" + value }
        guard value.contains(where: { ",\"\r\n".contains($0) }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
