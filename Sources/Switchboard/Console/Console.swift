import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The web console at `/-/console`: what the sandbox carriers caught, the policy's ledger and decisions, event
/// deliveries and residency, per resource, for whoever holds a console session (``ConsoleAccess``).
///
/// Server-rendered HTML with one small script for live updates, all in the binary. Pages come from the
/// capabilities (``Capability/consolePages``) and read through their services; this type is the shell around them:
/// sign-in, the session and CSRF checks, the resource a session may see, the layout, and the live stream.
public struct Console: Sendable {
    let access: ConsoleAccess
    let pages: [any ConsolePage]
    let runtime: Runtime
    let activity: ConsoleActivity
    let secureCookies: Bool
    static let noticeCookie = "switchboard_console_notice"

    public init(
        access: ConsoleAccess, pages: [any ConsolePage], runtime: Runtime, activity: ConsoleActivity, retention: [RetentionRule] = []
    ) {
        self.access = access
        self.pages = pages + [ResidencyConsolePage(runtime: runtime, retention: retention)]
        self.runtime = runtime
        self.activity = activity
        self.secureCookies = runtime.configuration.scheme == "https"
    }

    var clock: any WallClock { runtime.clock }

    public var routes: [SystemRoute] {
        let none = NoCredentials()
        let formLimit = 64 * 1024
        return [
            SystemRoute(.get, "/console", auth: none, handler: home),
            SystemRoute(.get, "/console/signin", auth: none, handler: signIn),
            SystemRoute(.post, "/console/signout", auth: none, maxBodySize: formLimit, handler: signOut),
            SystemRoute(.get, "/console/pick", auth: none, handler: pick),
            SystemRoute(.get, "/console/assets/console.css", auth: none) { _ in Self.asset(ConsoleAssets.css, type: "text/css; charset=utf-8") },
            SystemRoute(.get, "/console/assets/console.js", auth: none) { _ in
                Self.asset(ConsoleAssets.javascript, type: "text/javascript; charset=utf-8")
            },
            SystemRoute(.get, "/console/r/{resource}", auth: none, handler: overview),
            SystemRoute(.get, "/console/r/{resource}/live", auth: none, handler: live),
            SystemRoute(.get, "/console/r/{resource}/{page}", auth: none, handler: page),
            SystemRoute(.get, "/console/r/{resource}/{page}/{a}", auth: none, handler: page),
            SystemRoute(.get, "/console/r/{resource}/{page}/{a}/{b}", auth: none, handler: page),
            SystemRoute(.get, "/console/r/{resource}/{page}/{a}/{b}/{c}", auth: none, handler: page),
            SystemRoute(.post, "/console/r/{resource}/{page}/{action}", auth: none, maxBodySize: formLimit, handler: action),
        ]
    }

    // MARK: Signing in and out

    @Sendable func signIn(_ request: SystemRequest) async throws -> Response {
        guard let code = request.query["code"], !code.isEmpty else {
            let body: HTML = """
                <p>The console opens with a sign-in link. <code>switchboard serve</code> prints one for this machine when it starts;
                an operator gets one with:</p>
                \(ConsoleHTML.code("switchboard console token --resource NAME"))
                <p>Each link signs in once and expires; the session it opens lasts until it expires or you sign out.</p>
                """
            return Self.html(ConsoleHTML.bare(title: "Sign in", body: body), status: .unauthorized)
        }
        do {
            let session = try await access.redeem(code)
            request.logger.info("console session opened", metadata: ["console.holder": "\(session.holder)"])
            var response = Self.redirect("/-/console")
            response.headers[values: .setCookie] = [access.setCookie(session, secure: secureCookies)]
            return response
        } catch let refusal as ConsoleAccess.Refusal {
            request.logger.notice("console sign-in refused", metadata: ["reason": "\(refusal)"])
            return Self.html(
                ConsoleHTML.bare(title: "Sign in", body: "<p class=\"error-box\" role=\"alert\">\(refusal.description)</p>"), status: .unauthorized)
        }
    }

    @Sendable func signOut(_ request: SystemRequest) async throws -> Response {
        let session = try await authorized(request)
        try checkCSRF(request, session: session)
        try await access.revoke(session)
        var response = Self.redirect("/-/console/signin")
        response.headers[values: .setCookie] = [access.setCookie(nil, secure: secureCookies)]
        return response
    }

    // MARK: Pages

    @Sendable func home(_ request: SystemRequest) async throws -> Response {
        guard let session = try await access.activeSession(cookieHeader: request.headers[.cookie]) else { return Self.redirect("/-/console/signin") }
        let names = try await resourceNames(for: session)
        if names.count == 1, let only = names.first { return Self.redirect("/-/console/r/\(ConsolePaths.segment(only))") }
        let records = try await runtime.directory.records().filter { names.contains($0.name) }
        let rows = records.sorted { $0.name < $1.name }.map { record -> [HTML] in
            [
                "<a href=\"/-/console/r/\(ConsolePaths.segment(record.name))\">\(record.name)</a>", "\(record.geography.displayName)",
                "\(record.createdAt.date)",
            ]
        }
        let body: HTML =
            rows.isEmpty
            ? ConsoleHTML.empty(
                "No resources yet",
                "<p>Create one, then come back:</p>\(ConsoleHTML.code("switchboard resource create NAME --geography unitedStates"))")
            : ConsoleHTML.table(caption: "Resources", headers: ["Resource", "Geography", "Created"], rows: rows)
        return Self.html(
            ConsoleHTML.document(
                .init(
                    title: "Resources", resource: nil, resources: names, pages: [], current: nil, holder: session.holder,
                    csrf: access.csrfToken(for: session), notice: nil, live: false), body: body))
    }

    @Sendable func pick(_ request: SystemRequest) async throws -> Response {
        let session = try await authorized(request)
        guard let name = request.query["resource"], session.allows(name) else { return Self.redirect("/-/console") }
        return Self.redirect("/-/console/r/\(ConsolePaths.segment(name))")
    }

    @Sendable func overview(_ request: SystemRequest) async throws -> Response {
        try await run(request, slug: "") { session, resource, context in
            .page(title: "Overview", body: try await ConsoleOverview(runtime: runtime, pages: pages).render(context))
        }
    }

    @Sendable func page(_ request: SystemRequest) async throws -> Response {
        let slug = request.parameter("page")
        return try await run(request, slug: slug) { _, _, context in
            guard let page = pages.first(where: { $0.slug == slug }) else {
                throw APIError.notFound(code: "NotFound", "The console has no page '\(slug)'.")
            }
            return try await page.render(context)
        }
    }

    @Sendable func action(_ request: SystemRequest) async throws -> Response {
        let slug = request.parameter("page")
        return try await run(request, slug: slug) { session, _, context in
            try checkCSRF(context.form["_csrf"], session: session, request: request)
            guard let page = pages.first(where: { $0.slug == slug }) else {
                throw APIError.notFound(code: "NotFound", "The console has no page '\(slug)'.")
            }
            let action = request.parameter("action")
            request.logger.info("console action", metadata: ["console.page": "\(slug)", "console.action": "\(action)"])
            return try await page.perform(action, context)
        }
    }

    /// Checks the session and the resource, builds the page's request, and renders what the page answers — an
    /// error as a page with its status.
    func run(
        _ request: SystemRequest, slug: String,
        _ body: (ConsoleAccess.Session, ResourceHandle, ConsoleRequest) async throws -> ConsoleReply
    ) async throws -> Response {
        guard let session = try await access.activeSession(cookieHeader: request.headers[.cookie]) else {
            if request.method == .get { return Self.redirect("/-/console/signin") }
            return Self.html(
                ConsoleHTML.bare(title: "Signed out", body: "<p class=\"error-box\" role=\"alert\">Sign in to use the console.</p>"),
                status: .unauthorized)
        }
        let name = request.parameter("resource")
        let names = try await resourceNames(for: session)
        let csrf = access.csrfToken(for: session)
        let notice = ConsoleAccess.cookies(named: Self.noticeCookie, in: request.headers[.cookie]).first.flatMap { Base64URL.decode($0) }.flatMap {
            String(data: $0, encoding: .utf8)
        }
        func shell(_ title: String) -> ConsoleHTML.Shell {
            .init(
                title: title, resource: name, resources: names, pages: pages, current: slug, holder: session.holder, csrf: csrf,
                notice: notice, live: request.method == .get)
        }
        // A resource outside the session is answered exactly as one that does not exist.
        guard names.contains(name), let resource = try await runtime.resources.handle(named: name) else {
            return Self.html(
                ConsoleHTML.bare(
                    title: "Not found", body: "<p class=\"error-box\" role=\"alert\">This session opens no resource named '\(name)'.</p>"),
                status: .notFound)
        }
        let context = ConsoleRequest(
            resource: resource, path: [request.parameters["a"], request.parameters["b"], request.parameters["c"]].compactMap { $0 },
            query: request.query, form: request.method == .post ? Self.form(request.body) : [:], csrf: csrf,
            base: "/-/console/r/\(ConsolePaths.segment(name))", serverURL: runtime.configuration.baseURL(), now: clock.now)
        var response: Response
        do {
            switch try await body(session, resource, context) {
            case .page(let title, let html):
                response = Self.html(ConsoleHTML.document(shell(title), body: html))
            case .redirect(let location, let notice):
                response = Self.redirect(location)
                if let notice {
                    response.headers[values: .setCookie] = [
                        "\(Self.noticeCookie)=\(Base64URL.encode(Data(notice.utf8))); Max-Age=30; Path=/-/console; HttpOnly; SameSite=Strict"
                            + (secureCookies ? "; Secure" : "")
                    ]
                }
                return response
            case .document(let document):
                response = document
            }
        } catch {
            let (status, message) = Self.describe(error, requestID: request.requestID, logger: request.logger)
            response = Self.html(
                ConsoleHTML.document(shell("Something went wrong"), body: "<p class=\"error-box\" role=\"alert\">\(message)</p>"), status: status)
        }
        if notice != nil {
            response.headers[values: .setCookie].append(
                "\(Self.noticeCookie)=; Max-Age=0; Path=/-/console; HttpOnly; SameSite=Strict" + (secureCookies ? "; Secure" : ""))
        }
        return response
    }

    /// The resources a session may open, in the directory now.
    func resourceNames(for session: ConsoleAccess.Session) async throws -> [String] {
        try await runtime.directory.records().filter { $0.state == .active && session.allows($0.name) }.map(\.name).sorted()
    }

    func authorized(_ request: SystemRequest) async throws -> ConsoleAccess.Session {
        guard let session = try await access.activeSession(cookieHeader: request.headers[.cookie]) else {
            throw APIError(status: .unauthorized, code: "ConsoleSignInRequired", message: "Sign in to use the console.")
        }
        return session
    }

    func checkCSRF(_ request: SystemRequest, session: ConsoleAccess.Session) throws {
        try checkCSRF(Self.form(request.body)["_csrf"], session: session, request: request)
    }

    func checkCSRF(_ token: String?, session: ConsoleAccess.Session, request: SystemRequest) throws {
        guard access.checkCSRF(token, for: session) else {
            request.logger.notice("console request refused", metadata: ["reason": "CSRF token missing or wrong"])
            throw APIError(
                status: .forbidden, code: "InvalidCsrfToken",
                message: "This form is out of date or was not sent by the console. Reload the page and try again.")
        }
    }

    // MARK: Live updates

    /// `text/event-stream`: an event `change` whenever the resource's data changed, a comment every 15 seconds to
    /// keep the connection and its proxies alive. A stream ends after 5 minutes (the browser reconnects at once)
    /// or when the server stops.
    @Sendable func live(_ request: SystemRequest) async throws -> Response {
        guard let session = try await access.activeSession(cookieHeader: request.headers[.cookie]) else {
            throw APIError(status: .unauthorized, code: "ConsoleSignInRequired", message: "Sign in to use the console.")
        }
        let name = request.parameter("resource")
        guard session.allows(name), let resource = try await runtime.resources.handle(named: name) else {
            throw APIError.notFound(code: "NotFound", "This session opens no resource named '\(name)'.")
        }
        let activity = self.activity
        let clock = self.clock
        let id = resource.id
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                let started = ContinuousClock.now
                var version = activity.version(of: id)
                try await writer.write(ByteBuffer(string: "retry: 2000\n: open\n\n"))
                await withGracefulShutdownHandler {
                    while !activity.isClosed, ContinuousClock.now - started < .seconds(300), !Task.isCancelled {
                        let seen = await activity.wait(for: id, after: version, timeout: .seconds(15), clock: clock)
                        let text = seen != version ? "event: change\ndata: \(seen)\n\n" : ": keep-alive\n\n"
                        version = seen
                        do { try await writer.write(ByteBuffer(string: text)) } catch { return }
                    }
                } onGracefulShutdown: {
                    activity.close()
                }
                try await writer.finish(nil)
            })
    }

    // MARK: Responses

    static func describe(_ error: any Error, requestID: String, logger: Logger) -> (HTTPResponse.Status, String) {
        if let convertible = error as? any APIErrorConvertible {
            let apiError = convertible.apiError
            return (apiError.status, apiError.message)
        }
        logger.error("console page failed", metadata: ["error.type": "\(type(of: error))", "error": "\(DatabaseErrorDescription.describe(error))"])
        return (.internalServerError, "The page could not be shown (request \(requestID)); the server's log has the reason.")
    }

    static let securityHeaders: [(HTTPField.Name, String)] = [
        (
            HTTPField.Name("Content-Security-Policy")!,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; "
                + "frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ),
        (HTTPField.Name("X-Frame-Options")!, "DENY"),
        (HTTPField.Name("X-Content-Type-Options")!, "nosniff"),
        (HTTPField.Name("Referrer-Policy")!, "no-referrer"),
        (.cacheControl, "no-store"),
    ]

    static func html(_ html: HTML, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        for (name, value) in securityHeaders { headers[name] = value }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html.markup)))
    }

    static func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: headers)
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The fields of an `application/x-www-form-urlencoded` body.
    static func form(_ body: ByteBuffer) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String? { text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = parts.first.flatMap(decode) else { continue }
            fields[name] = parts.count > 1 ? decode(parts[1]) ?? "" : ""
        }
        return fields
    }
}

/// Ends open console streams when the server stops, so a graceful shutdown does not wait on them.
struct ConsoleService: Service {
    let activity: ConsoleActivity

    func run() async throws {
        try? await gracefulShutdown()
        activity.close()
    }
}
