import Crypto
import Foundation

/// Who may use the console and how they prove it.
///
/// - A **grant** is a sign-in link's code: signed with a key derived from the master key, naming the resources it
///   opens (or all of them), who holds it, when it expires and how long the session it opens lasts. `serve` prints
///   one for the developer at the machine; `switchboard console token` issues one for an operator. A grant signs in
///   once: its id is recorded in the directory when used, so a second use fails on every node.
/// - A **session** is the signed value of an `HttpOnly`, `Secure`, `SameSite=Strict` cookie, limited to the grant's
///   resources and expiring with it.
/// - A **CSRF token** is bound to its session: every form that changes something carries it.
///
/// Nothing is stored but the used grants' ids: the master key's derived key signs everything else.
public struct ConsoleAccess: Sendable {
    /// The code of a sign-in link.
    public struct Grant: Codable, Sendable, Equatable {
        public let id: String
        /// Milliseconds since 1970.
        public let expiresAt: Int64
        /// The resource names it opens; `nil` for every resource.
        public let resources: [String]?
        /// Who it was issued to, shown in the console (`local developer`, an operator's name).
        public let holder: String
        /// How long the session it opens lasts, in seconds.
        public let sessionSeconds: Int64
    }

    /// A signed-in console session.
    public struct Session: Codable, Sendable, Equatable {
        public let id: String
        public let expiresAt: Int64
        public let resources: [String]?
        public let holder: String

        /// Whether the session may see `resource`.
        public func allows(_ resource: String) -> Bool {
            resources?.contains(resource) ?? true
        }
    }

    public static let cookieName = "switchboard_console"
    static let grantPrefix = "sbc1."

    let key: SymmetricKey
    let directory: Directory
    let clock: any WallClock

    public init(masterKey: MasterKey, directory: Directory, clock: any WallClock) {
        self.key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: masterKey.key, info: Data("switchboard console v1".utf8), outputByteCount: 32)
        self.directory = directory
        self.clock = clock
    }

    // MARK: Grants

    /// A sign-in code valid for `validFor`, opening a session of `sessionLength` on `resources` (all when `nil`).
    public func issue(resources: [String]?, holder: String, validFor: Duration, sessionLength: Duration) -> String {
        let grant = Grant(
            id: Self.randomID(), expiresAt: clock.now.adding(validFor).milliseconds, resources: resources.map { $0.sorted() },
            holder: holder, sessionSeconds: sessionLength.components.seconds)
        return Self.grantPrefix + sign(grant, purpose: "grant")
    }

    /// Why a sign-in link did not sign in.
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case malformed, expired, used

        public var description: String {
            switch self {
            case .malformed: "This sign-in link is not valid. Ask for a new one: switchboard console token."
            case .expired: "This sign-in link has expired. Ask for a new one: switchboard console token."
            case .used: "This sign-in link was already used; each link signs in once. Ask for a new one: switchboard console token."
            }
        }
    }

    /// Checks a sign-in code, marks it used and opens its session.
    public func redeem(_ code: String) async throws -> Session {
        guard code.hasPrefix(Self.grantPrefix), let grant = verify(String(code.dropFirst(Self.grantPrefix.count)), purpose: "grant", as: Grant.self)
        else { throw Refusal.malformed }
        let now = clock.now
        guard now.milliseconds < grant.expiresAt else { throw Refusal.expired }
        guard try await directory.redeemConsoleGrant(id: grant.id, expiresAt: Timestamp(milliseconds: grant.expiresAt), now: now) else {
            throw Refusal.used
        }
        return Session(
            id: Self.randomID(), expiresAt: now.adding(seconds: grant.sessionSeconds).milliseconds, resources: grant.resources,
            holder: grant.holder)
    }

    // MARK: Sessions

    /// The cookie's value for `session`.
    public func cookieValue(for session: Session) -> String {
        sign(session, purpose: "session")
    }

    /// The session a request's `Cookie` header carries, if it is signed by this deployment and not expired.
    public func session(cookieHeader: String?) -> Session? {
        for value in Self.cookies(named: Self.cookieName, in: cookieHeader) {
            guard let session = verify(value, purpose: "session", as: Session.self), clock.now.milliseconds < session.expiresAt else { continue }
            return session
        }
        return nil
    }

    /// The session a request carries, if it is also not signed out (checked in the directory, so on every node).
    public func activeSession(cookieHeader: String?) async throws -> Session? {
        guard let session = session(cookieHeader: cookieHeader) else { return nil }
        return try await directory.isConsoleSessionRevoked(id: session.id) ? nil : session
    }

    /// Signs `session` out: its cookie is refused from now on, wherever it is presented.
    public func revoke(_ session: Session) async throws {
        try await directory.revokeConsoleSession(id: session.id, expiresAt: Timestamp(milliseconds: session.expiresAt), now: clock.now)
    }

    /// The `Set-Cookie` header that starts `session`, or (with `nil`) ends the current one.
    public func setCookie(_ session: Session?, secure: Bool) -> String {
        let attributes = "Path=/-/console; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
        guard let session else { return "\(Self.cookieName)=; Max-Age=0; \(attributes)" }
        let seconds = max(0, (session.expiresAt - clock.now.milliseconds) / 1000)
        return "\(Self.cookieName)=\(cookieValue(for: session)); Max-Age=\(seconds); \(attributes)"
    }

    /// The CSRF token of `session`: forms carry it, and a state-changing request without it is refused.
    public func csrfToken(for session: Session) -> String {
        Base64URL.encode(Data(HMAC<SHA256>.authenticationCode(for: Data("csrf:\(session.id)".utf8), using: key)))
    }

    /// Whether `token` is `session`'s CSRF token (compared in constant time).
    public func checkCSRF(_ token: String?, for session: Session) -> Bool {
        guard let token, let presented = Base64URL.decode(token) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(presented, authenticating: Data("csrf:\(session.id)".utf8), using: key)
    }

    /// The values of the cookies named `name` in a `Cookie` header, in order.
    static func cookies(named name: String, in header: String?) -> [String] {
        guard let header else { return [] }
        return header.split(separator: ";").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name else { return nil }
            return parts[1].trimmingCharacters(in: .whitespaces)
        }
    }

    // MARK: Signing

    /// `base64url(json) "." base64url(HMAC(purpose "." payload))`: the purpose is signed, so a grant is never a cookie.
    func sign(_ value: some Encodable, purpose: String) -> String {
        let payload = Base64URL.encode((try? JSONBody.encoder.encode(value)) ?? Data())
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(purpose).\(payload)".utf8), using: key)
        return payload + "." + Base64URL.encode(Data(mac))
    }

    func verify<T: Decodable>(_ text: String, purpose: String, as type: T.Type) -> T? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count <= 4096, let mac = Base64URL.decode(parts[1]),
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Data("\(purpose).\(parts[0])".utf8), using: key),
            let payload = Base64URL.decode(parts[0])
        else { return nil }
        return try? JSONDecoder().decode(T.self, from: payload)
    }

    static func randomID() -> String {
        Base64URL.encode(SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) })
    }
}
