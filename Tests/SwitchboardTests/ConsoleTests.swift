import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Switchboard

/// The web console's gate and pages through the real application: sign-in links that work once, sessions limited to
/// their resources, CSRF tokens on every change, escaped content, and pages that show what the services hold.
@Suite struct ConsoleTests {
    struct Fixture {
        let server: TestServer
        let assembly: Assembly
        let clock: ManualClock
        let access: ConsoleAccess

        /// A session cookie for `resources` (all when `nil`), through the real sign-in.
        func signIn(_ client: any TestClientProtocol, resources: [String]? = nil) async throws -> (cookie: String, csrf: String) {
            let code = access.issue(resources: resources, holder: "tester", validFor: .seconds(600), sessionLength: .seconds(3600))
            let response = try await client.execute(uri: "/-/console/signin?code=\(code)", method: .get)
            #expect(response.status == .seeOther)
            let setCookie = try #require(response.headers[.setCookie])
            let cookie = try #require(setCookie.split(separator: ";").first.map(String.init))
            let page = try await client.execute(uri: "/-/console", method: .get, headers: [.cookie: cookie])
            let followed = try await follow(client, page, cookie: cookie)
            let csrf = try #require(Self.csrf(in: followed.text))
            return (cookie, csrf)
        }

        func follow(_ client: any TestClientProtocol, _ response: TestResponse, cookie: String) async throws -> TestResponse {
            guard response.status == .seeOther, let location = response.headers[.location] else { return response }
            return try await client.execute(uri: location, method: .get, headers: [.cookie: cookie])
        }

        static func csrf(in page: String) -> String? {
            guard let range = page.range(of: "name=\"_csrf\" value=\"") else { return nil }
            return String(page[range.upperBound...].prefix { $0 != "\"" })
        }

        func post(_ client: any TestClientProtocol, _ uri: String, cookie: String?, fields: [String: String]) async throws -> TestResponse {
            let body = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(
                separator: "&")
            var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            if let cookie { headers[.cookie] = cookie }
            return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
        }

        /// Buys a sandbox toll-free number for `resource`.
        func number(for name: String) async throws -> String {
            let resource = try #require(try await server.runtime.resources.handle(named: name))
            return try await #require(assembly.capability(NumbersCapability.self)).service.buySandboxTollFreeNumber(in: resource)
        }
    }

    func withConsole(engine: TestEngine = .sqlite, _ body: @escaping @Sendable (Fixture, any TestClientProtocol) async throws -> Void) async throws {
        let clock = ManualClock()
        try await TestServer.with(engine: engine, clock: clock) { server in
            _ = try await server.createResource("alpha", in: .unitedStates)
            _ = try await server.createResource("beta", in: .europe)
            let assembly = try Assembly(runtime: server.runtime, httpClient: .shared)
            let fixture = Fixture(
                server: server, assembly: assembly, clock: clock,
                access: ConsoleAccess(masterKey: server.runtime.masterKey, directory: server.runtime.directory, clock: clock))
            try await server.test { client in try await body(fixture, client) }
        }
    }

    @Test func withoutASessionNothingOfAResourceIsShown() async throws {
        try await withConsole { f, client in
            for path in ["/-/console", "/-/console/r/alpha", "/-/console/r/alpha/sms", "/-/console/r/alpha/policy", "/-/console/r/alpha/email"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .seeOther && response.headers[.location] == "/-/console/signin", "\(path)")
            }
            let live = try await client.execute(uri: "/-/console/r/alpha/live", method: .get)
            #expect(live.status == .unauthorized)
            let post = try await f.post(client, "/-/console/r/alpha/sms/reply", cookie: nil, fields: ["from": "+12065550123"])
            #expect(post.status == .unauthorized && !post.text.contains("alpha"))
            // A cookie this deployment did not sign is no session.
            let forged = try await client.execute(
                uri: "/-/console/r/alpha/sms", method: .get, headers: [.cookie: "\(ConsoleAccess.cookieName)=eyJpZCI6IngifQ.AAAA"])
            #expect(forged.status == .seeOther)
        }
    }

    @Test(arguments: TestEngine.available)
    func aSignInLinkSignsInOnceAndExpires(engine: TestEngine) async throws {
        try await withConsole(engine: engine) { f, client in
            let code = f.access.issue(resources: nil, holder: "tester", validFor: .seconds(600), sessionLength: .seconds(3600))
            let first = try await client.execute(uri: "/-/console/signin?code=\(code)", method: .get)
            #expect(first.status == .seeOther && first.headers[.location] == "/-/console")
            let cookie = try #require(first.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/-/console"))
            let again = try await client.execute(uri: "/-/console/signin?code=\(code)", method: .get)
            #expect(again.status == .unauthorized && again.text.contains("already used") && again.headers[.setCookie] == nil)

            let late = f.access.issue(resources: nil, holder: "tester", validFor: .seconds(60), sessionLength: .seconds(3600))
            f.clock.advance(by: .seconds(61))
            let expired = try await client.execute(uri: "/-/console/signin?code=\(late)", method: .get)
            #expect(expired.status == .unauthorized && expired.text.contains("expired"))

            // Altering what the code grants breaks its signature.
            let parts = code.dropFirst("sbc1.".count).split(separator: ".")
            let tampered = "sbc1.\(parts[0].dropLast())A.\(parts[1])"
            let refused = try await client.execute(uri: "/-/console/signin?code=\(tampered)", method: .get)
            #expect(refused.status == .unauthorized && refused.text.contains("not valid"))

            // The session ends with its length.
            let session = String(cookie.split(separator: ";")[0])
            #expect(try await client.execute(uri: "/-/console/r/alpha", method: .get, headers: [.cookie: session]).status == .ok)
            f.clock.advance(by: .seconds(3600))
            #expect(try await client.execute(uri: "/-/console/r/alpha", method: .get, headers: [.cookie: session]).status == .seeOther)
        }
    }

    @Test func aSessionSeesOnlyItsResources() async throws {
        try await withConsole { f, client in
            let (cookie, _) = try await f.signIn(client, resources: ["alpha"])
            // With one resource, the console opens it.
            let home = try await client.execute(uri: "/-/console", method: .get, headers: [.cookie: cookie])
            #expect(home.status == .seeOther && home.headers[.location] == "/-/console/r/alpha")
            for path in ["/-/console/r/beta", "/-/console/r/beta/sms", "/-/console/r/beta/policy", "/-/console/r/beta/residency"] {
                let response = try await client.execute(uri: path, method: .get, headers: [.cookie: cookie])
                #expect(response.status == .notFound, "\(path)")
                #expect(!response.text.contains("Europe"), "\(path)")
            }
            // A resource that does not exist is answered the same way.
            let missing = try await client.execute(uri: "/-/console/r/gamma", method: .get, headers: [.cookie: cookie])
            #expect(missing.status == .notFound)
            #expect(try await client.execute(uri: "/-/console/r/beta/live", method: .get, headers: [.cookie: cookie]).status == .notFound)
            let alpha = try await client.execute(uri: "/-/console/r/alpha/residency", method: .get, headers: [.cookie: cookie])
            #expect(alpha.status == .ok && alpha.text.contains("United States") && !alpha.text.contains("beta"))

            // A session for every resource lists both.
            let (all, _) = try await f.signIn(client)
            let list = try await client.execute(uri: "/-/console", method: .get, headers: [.cookie: all])
            #expect(list.status == .ok && list.text.contains("/-/console/r/alpha") && list.text.contains("/-/console/r/beta"))
        }
    }

    @Test(arguments: TestEngine.available)
    func aHandsetReplyNeedsTheSessionsCSRFTokenAndThenArrivesAsAnyInboundMessage(engine: TestEngine) async throws {
        try await withConsole(engine: engine) { f, client in
            let number = try await f.number(for: "alpha")
            let (cookie, csrf) = try await f.signIn(client, resources: ["alpha"])
            let fields = ["from": "+12065550123", "to": number, "message": "STOP"]
            // No token, a forged one, and another session's: refused, nothing recorded.
            let (other, otherCSRF) = try await f.signIn(client, resources: ["alpha"])
            #expect(other != cookie)
            for token in [nil, "forged", otherCSRF] {
                var form = fields
                if let token { form["_csrf"] = token }
                let response = try await f.post(client, "/-/console/r/alpha/sms/reply", cookie: cookie, fields: form)
                #expect(response.status == .forbidden && response.text.contains("out of date"))
            }
            let policy = f.assembly.platform.policy
            let alpha = try #require(try await f.server.runtime.resources.handle(named: "alpha"))
            #expect(try await policy.optOuts(recipient: nil, after: nil, limit: 10, in: alpha).isEmpty)

            var form = fields
            form["_csrf"] = csrf
            let sent = try await f.post(client, "/-/console/r/alpha/sms/reply", cookie: cookie, fields: form)
            #expect(sent.status == .seeOther && sent.headers[.location]?.hasPrefix("/-/console/r/alpha/sms?handset=") == true)
            // STOP from the handset is an opt-out like any other, shown in the ledger with its source.
            let optOuts = try await policy.optOuts(recipient: nil, after: nil, limit: 10, in: alpha)
            #expect(optOuts.map(\.recipient) == ["+12065550123"])
            let page = try await client.execute(uri: "/-/console/r/alpha/sms?handset=%2B12065550123", method: .get, headers: [.cookie: cookie])
            #expect(page.text.contains("STOP") && page.text.contains("+12065550123"))
            let ledger = try await client.execute(uri: "/-/console/r/alpha/policy", method: .get, headers: [.cookie: cookie])
            #expect(ledger.text.contains("+12065550123") && ledger.text.contains(optOuts[0].source))
        }
    }

    @Test func contentIsEscapedAndPagesCarryTheirPolicy() async throws {
        try await withConsole { f, client in
            let number = try await f.number(for: "alpha")
            let (cookie, csrf) = try await f.signIn(client, resources: ["alpha"])
            let script = "<script>alert('x')</script><img src=x onerror=alert(1)>"
            let sent = try await f.post(
                client, "/-/console/r/alpha/sms/reply", cookie: cookie,
                fields: ["from": "+12065550124", "to": number, "message": script, "_csrf": csrf])
            #expect(sent.status == .seeOther)
            let page = try await client.execute(uri: "/-/console/r/alpha/sms?handset=%2B12065550124", method: .get, headers: [.cookie: cookie])
            #expect(page.status == .ok)
            #expect(!page.text.contains("<script>alert") && !page.text.contains("<img src=x"))
            #expect(page.text.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
            let csp = try #require(page.headers[HTTPField.Name("Content-Security-Policy")!])
            #expect(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'") && csp.contains("form-action 'self'"))
            #expect(page.headers[HTTPField.Name("X-Frame-Options")!] == "DENY" && page.headers[.cacheControl] == "no-store")
        }
    }

    @Test(arguments: TestEngine.available)
    func signingOutNeedsTheTokenAndEndsTheSessionEverywhere(engine: TestEngine) async throws {
        try await withConsole(engine: engine) { f, client in
            let (cookie, csrf) = try await f.signIn(client)
            #expect(try await f.post(client, "/-/console/signout", cookie: cookie, fields: [:]).status == .forbidden)
            let out = try await f.post(client, "/-/console/signout", cookie: cookie, fields: ["_csrf": csrf])
            #expect(out.status == .seeOther && out.headers[.setCookie]?.contains("Max-Age=0") == true)
            // A copy of the cookie kept from before is refused too: the session is signed out, not only forgotten.
            let copied = try await client.execute(uri: "/-/console/r/alpha", method: .get, headers: [.cookie: cookie])
            #expect(copied.status == .seeOther && copied.headers[.location] == "/-/console/signin")
            #expect(try await client.execute(uri: "/-/console/r/alpha/live", method: .get, headers: [.cookie: cookie]).status == .unauthorized)
        }
    }

    @Test func anUnknownPageOrActionIsANotFoundPage() async throws {
        try await withConsole { f, client in
            let (cookie, csrf) = try await f.signIn(client, resources: ["alpha"])
            let page = try await client.execute(uri: "/-/console/r/alpha/nothing", method: .get, headers: [.cookie: cookie])
            #expect(page.status == .notFound && page.text.contains("no page"))
            let action = try await f.post(client, "/-/console/r/alpha/policy/explode", cookie: cookie, fields: ["_csrf": csrf])
            #expect(action.status == .notFound)
            // Every page renders for a resource with nothing in it.
            for slug in ["", "/sms", "/email", "/whatsapp", "/policy", "/events", "/residency"] {
                let response = try await client.execute(uri: "/-/console/r/alpha\(slug)", method: .get, headers: [.cookie: cookie])
                #expect(response.status == .ok, "\(slug)")
            }
        }
    }

    @Test func theLiveStreamWakesOnACommittedChange() async throws {
        let activity = ConsoleActivity()
        let resource = UUID()
        let clock = ManualClock()
        let start = activity.version(of: resource)
        async let woken = activity.wait(for: resource, after: start, timeout: .seconds(15), clock: clock)
        // Whether the commit comes before or after the wait begins, the wait ends with the new version.
        try await Task.sleep(for: .milliseconds(10))
        activity.touch(resource)
        #expect(await woken == start + 1)
        // With nothing changing, the clock's timeout ends the wait with the same version.
        async let idle = activity.wait(for: resource, after: start + 1, timeout: .seconds(15), clock: clock)
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(15))
        #expect(await idle == start + 1)
    }

    @Test func htmlEscapesTextAndKeepsMarkup() {
        let name = "<b>\"Tom\" & 'Jerry'</b>\u{0}"
        let fragment: HTML = "<td title=\"\(name)\">\(name)</td>"
        #expect(
            fragment.markup
                == "<td title=\"&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;\u{FFFD}\">&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;\u{FFFD}</td>"
        )
        let nested: HTML = "<tr>\(fragment)</tr>"
        #expect(nested.markup.hasPrefix("<tr><td"))
    }
}
