import Foundation
import Hummingbird

/// One page of the console for one resource: a capability's sandbox inbox, the policy's ledger, the events'
/// deliveries. Capabilities bring their pages (``Capability/consolePages``) the way they bring routes, so the
/// console grows with each channel; a page reads through its capability's services, the same ones the API uses.
public protocol ConsolePage: Sendable {
    /// Its path under the resource (`/-/console/r/RESOURCE/SLUG`).
    var slug: String { get }
    /// Its name in the navigation.
    var title: String { get }
    /// Where the navigation lists it.
    var group: ConsoleGroup { get }
    /// Its order within the group.
    var order: Int { get }

    /// Renders a `GET` of the page or of a path under it (`request.path`).
    func render(_ request: ConsoleRequest) async throws -> ConsoleReply

    /// Performs a form's action (`POST …/SLUG/ACTION`), after the console checked the session and its CSRF token.
    func perform(_ action: String, _ request: ConsoleRequest) async throws -> ConsoleReply
}

extension ConsolePage {
    public var order: Int { 0 }

    public func perform(_ action: String, _ request: ConsoleRequest) async throws -> ConsoleReply {
        throw APIError.notFound(code: "NotFound", "This page has no action '\(action)'.")
    }
}

/// The navigation's headings.
public enum ConsoleGroup: Int, Sendable, CaseIterable {
    /// What the sandbox carriers caught: the developer's view.
    case sandbox
    /// Whether the policy holds, what was delivered, where data lives: the operator's view.
    case operations

    var title: String {
        switch self {
        case .sandbox: "Sandbox"
        case .operations: "Operations"
        }
    }
}

/// A request for a console page, once the session was checked.
public struct ConsoleRequest: Sendable {
    public let resource: ResourceHandle
    /// Segments after the page's slug (`["MESSAGE-ID"]` for `…/email/MESSAGE-ID`).
    public let path: [String]
    public let query: QueryParameters
    /// The fields of a posted form (`application/x-www-form-urlencoded`).
    public let form: [String: String]
    /// The session's CSRF token, for the forms a page renders (``ConsoleHTML/form(_:action:fields:content:)``).
    public let csrf: String
    /// `/-/console/r/RESOURCE`: links to the resource's pages start here.
    public let base: String
    /// The server's base URL (links in messages a handset reply triggers).
    public let serverURL: String
    public let now: Timestamp

    /// The path of `page` (and what follows it) under this resource.
    public func link(_ page: String, _ rest: String...) -> String {
        ([base, page] + rest.map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? $0 })
            .joined(separator: "/")
    }

    /// A form field, trimmed; `nil` when missing or empty.
    public func field(_ name: String) -> String? {
        guard let value = form[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }
}

/// What a page answers.
public enum ConsoleReply: Sendable {
    /// A page inside the console's layout.
    case page(title: String, body: HTML)
    /// After a form's action: where to go next (post/redirect/get), with a notice shown there.
    case redirect(to: String, notice: String? = nil)
    /// A document of its own (an email's HTML in its sandboxed frame, an attachment), with its own headers.
    case document(Response)
}
