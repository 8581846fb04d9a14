import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// RFC 8058 one-click unsubscribe: every message carries `List-Unsubscribe: <https://HOST/-/unsubscribe/TOKEN>` and
/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click`. A `POST` of `List-Unsubscribe=One-Click` there records the
/// recipient's opt-out of the program at once, with no login and no further step; a `GET` shows a page that asks
/// for one press (link scanners follow GETs, so a GET never changes anything).
///
/// The token is the resource's id followed by the recipient and program sealed with the resource's key: it cannot
/// be guessed or altered, is bound to recipient, program and resource, and reveals nothing of them.
enum EmailUnsubscribe {
    static let field = PersonalField(rawValue: "email.unsubscribe")

    struct Claims: Codable {
        let p: String
        let r: String
    }

    static func token(program: String, recipient: String, resource: ResourceHandle) throws -> String {
        let sealed = try resource.crypto.seal(data: try JSONBody.encoder.encode(Claims(p: program, r: recipient)), field: field)
        var bytes = withUnsafeBytes(of: resource.id.uuid) { Data($0) }
        bytes.append(sealed)
        return Base64URL.encode(bytes)
    }

    /// The resource, program and recipient a token names, or `nil` for one this server did not issue.
    static func open(_ token: String, resources: ResourceRegistry) async throws -> (ResourceHandle, program: String, recipient: String)? {
        guard token.count <= 2048, let data = Base64URL.decode(token), data.count > 16 else { return nil }
        let uuid = data.prefix(16).withUnsafeBytes { raw in
            UUID(uuid: raw.loadUnaligned(as: uuid_t.self))
        }
        guard let resource = try await resources.handle(id: uuid),
            let claims = try? resource.crypto.open(data: Data(data.dropFirst(16)), field: field),
            let decoded = try? JSONBody.decoder.decode(Claims.self, from: claims)
        else { return nil }
        return (resource, decoded.p, decoded.r)
    }
}

/// The unsubscribe link's endpoints, under `/-/unsubscribe/{token}`: public, since the token is the credential.
struct EmailUnsubscribeRoutes: Sendable {
    let policy: PolicyService
    let resources: ResourceRegistry

    var routes: [SystemRoute] {
        [
            SystemRoute(.get, "/unsubscribe/{token}", auth: NoCredentials(), handler: page),
            SystemRoute(.post, "/unsubscribe/{token}", auth: NoCredentials(), handler: unsubscribe),
        ]
    }

    @Sendable func page(_ request: SystemRequest) async throws -> Response {
        guard try await EmailUnsubscribe.open(request.parameter("token"), resources: resources) != nil else {
            return PolicyAPI.page(status: .notFound, title: "Link not valid", body: "<p>This unsubscribe link is not valid.</p>")
        }
        return PolicyAPI.page(
            status: .ok, title: "Unsubscribe",
            body: """
                <p>Press the button to stop receiving these emails.</p>
                <form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">\
                <button type="submit">Unsubscribe</button></form>
                """)
    }

    /// The one-click POST (RFC 8058 §3.2): its body is `List-Unsubscribe=One-Click`, form-encoded (or multipart).
    @Sendable func unsubscribe(_ request: SystemRequest) async throws -> Response {
        let body = String(buffer: request.body)
        guard body.contains("List-Unsubscribe=One-Click") || body.contains("One-Click") else {
            return PolicyAPI.page(
                status: .badRequest, title: "Unsubscribe", body: "<p>The request must carry List-Unsubscribe=One-Click (RFC 8058).</p>")
        }
        guard try await unsubscribe(token: request.parameter("token")) != nil else {
            return PolicyAPI.page(status: .notFound, title: "Link not valid", body: "<p>This unsubscribe link is not valid.</p>")
        }
        return PolicyAPI.page(status: .ok, title: "Unsubscribed", body: "<p>You will receive no more of these emails.</p>")
    }

    /// Records the opt-out a token names (of `resource` only, when given); the resource, or `nil` for a token this
    /// server did not issue (or another resource's).
    func unsubscribe(token: String, of expected: ResourceHandle? = nil) async throws -> ResourceHandle? {
        guard let (resource, program, recipient) = try await EmailUnsubscribe.open(token, resources: resources),
            expected == nil || expected?.id == resource.id
        else { return nil }
        var known = program == MessagingProgram.defaultID
        if !known { known = (try? await policy.program(program, in: resource)) != nil }
        try await policy.recordOptOut(
            .init(recipient: recipient, channel: .email, programID: known ? program : nil, source: "unsubscribeLink"), in: resource)
        return resource
    }
}
