import Crypto
import DNSClient
import Foundation
import Mail
import _CryptoExtras

/// Domains, their DKIM keys and DNS verification, and sender usernames.
extension EmailService {
    /// The username every domain starts with.
    static let defaultUsername = "donotreply"
    static let defaultDisplayName = "DoNotReply"
    static let firstSelector = "sb1"

    /// The resource's ready sandbox domain.
    func sandboxDomain(of resource: ResourceHandle) -> String {
        "\(resource.name.lowercased()).\(configuration.sandboxDomainSuffix)"
    }

    /// Makes the sandbox domain, its key and DoNotReply, the first time they are needed.
    func ensureSandboxDomain(in resource: ResourceHandle) async throws {
        let name = sandboxDomain(of: resource)
        if try await resource.store.read({ db in try await EmailStore.domain(name, resource: resource, in: db) }) != nil { return }
        let key = Self.newKey(selector: Self.firstSelector, now: clock.now)
        try await changes.run(in: resource) { tx in
            guard try await EmailStore.domain(name, resource: resource, in: tx.db) == nil else { return }
            try await insertDomain(name, kind: .sandbox, key: key, in: tx)
        }
    }

    func insertDomain(_ name: String, kind: EmailStore.Domain.Kind, key: EmailStore.DKIMKey, in tx: Transaction) async throws {
        let domain = EmailStore.Domain(
            domain: name, kind: kind, ownershipToken: PolicyService.newToken(), verification: nil, verified: kind == .sandbox,
            verifiedAt: kind == .sandbox ? tx.now : nil, createdAt: tx.now, updatedAt: tx.now)
        try await EmailStore.insert(domain, resource: tx.resource, in: tx.db)
        try await EmailStore.insert(key, domain: name, resource: tx.resource, in: tx.db)
        try await EmailStore.upsert(
            EmailStore.Sender(
                domain: name, username: Self.defaultUsername, displayName: Self.defaultDisplayName, createdAt: tx.now, updatedAt: tx.now),
            resource: tx.resource, in: tx.db)
    }

    static func newKey(selector: String, now: Timestamp) -> EmailStore.DKIMKey {
        let key = DKIMKey.generate()
        return EmailStore.DKIMKey(
            selector: selector, privateKey: key.derRepresentation, publicRecord: DKIMKey.txtRecord(for: key.publicKey), createdAt: now)
    }

    /// A domain name as the API takes it: lower-case LDH labels, at least two.
    static func domainName(_ text: String) throws -> String {
        let name = text.trimmingCharacters(in: .whitespaces).lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard name.count <= 253, labels.count >= 2,
            labels.allSatisfy({ label in
                (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                    && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            })
        else { throw EmailError.invalid("'\(text)' is not a domain name.", target: "domain") }
        return name
    }

    static func selectorName(_ text: String) throws -> String {
        let selector = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard (1...63).contains(selector.count), selector.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw EmailError.invalid("A DKIM selector is 1-63 letters, digits or hyphens.", target: "dkimSelector")
        }
        return selector
    }

    /// Adds a custom domain with a new DKIM key, or, for a domain it has, a key under a new selector (rotation:
    /// signing moves to the new key once its record verifies). Returns the domain and whether it was created.
    public func putDomain(_ text: String, selector: String?, in resource: ResourceHandle) async throws -> (EmailDomainView, Bool) {
        let name = try Self.domainName(text)
        guard !name.hasSuffix(".\(configuration.sandboxDomainSuffix)"), name != configuration.sandboxDomainSuffix else {
            throw EmailError.sandboxDomain("Domains under \(configuration.sandboxDomainSuffix) are the sandbox's; every resource has one.")
        }
        let wanted = try selector.map(Self.selectorName)
        let key = Self.newKey(selector: wanted ?? Self.firstSelector, now: clock.now)
        let created = try await changes.run(in: resource) { tx -> Bool in
            guard try await EmailStore.domain(name, resource: resource, in: tx.db) != nil else {
                try await insertDomain(name, kind: .custom, key: key, in: tx)
                return true
            }
            let keys = try await EmailStore.dkimKeys(domain: name, resource: resource, in: tx.db)
            if let wanted, !keys.contains(where: { $0.selector == wanted }) {
                try await EmailStore.insert(key, domain: name, resource: resource, in: tx.db)
            }
            return false
        }
        return (try await domain(name, in: resource), created)
    }

    public func domain(_ text: String, in resource: ResourceHandle) async throws -> EmailDomainView {
        let name = text.trimmingCharacters(in: .whitespaces).lowercased()
        if name == sandboxDomain(of: resource) { try await ensureSandboxDomain(in: resource) }
        return try await resource.store.read { db in
            guard let domain = try await EmailStore.domain(name, resource: resource, in: db) else { throw EmailError.domainNotFound(text) }
            return view(domain, keys: try await EmailStore.dkimKeys(domain: name, resource: resource, in: db), resource: resource)
        }
    }

    public func domains(after: String?, limit: Int, in resource: ResourceHandle) async throws -> [EmailDomainView] {
        try await ensureSandboxDomain(in: resource)
        return try await resource.store.read { db in
            var views: [EmailDomainView] = []
            for domain in try await EmailStore.domains(after: after, limit: limit, resource: resource, in: db) {
                views.append(view(domain, keys: try await EmailStore.dkimKeys(domain: domain.domain, resource: resource, in: db), resource: resource))
            }
            return views
        }
    }

    public func deleteDomain(_ text: String, in resource: ResourceHandle) async throws {
        let name = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard name != sandboxDomain(of: resource) else { throw EmailError.sandboxDomain("The sandbox domain cannot be deleted.") }
        try await changes.run(in: resource) { tx in
            guard try await EmailStore.domain(name, resource: resource, in: tx.db) != nil else { throw EmailError.domainNotFound(text) }
            try await EmailStore.deleteDomain(name, resource: resource, in: tx.db)
        }
    }

    // MARK: Verification

    /// The SPF mechanism a custom domain must publish for this server.
    var spfMechanism: String {
        if let mechanism = configuration.spfMechanism { return mechanism }
        let host = URL(string: serverURL)?.host ?? "localhost"
        return "a:\(host)"
    }

    /// Looks up the domain's records and records what was found: it may send once ownership, SPF and DKIM verify.
    public func verify(_ text: String, in resource: ResourceHandle) async throws -> EmailDomainView {
        let name = text.trimmingCharacters(in: .whitespaces).lowercased()
        let (domain, keys) = try await resource.store.read { db in
            guard let domain = try await EmailStore.domain(name, resource: resource, in: db) else { throw EmailError.domainNotFound(text) }
            return (domain, try await EmailStore.dkimKeys(domain: name, resource: resource, in: db))
        }
        guard domain.kind == .custom else { return view(domain, keys: keys, resource: resource) }
        let now = clock.now
        let apex = await txt(name)
        let ownershipValue = "switchboard-verification=\(domain.ownershipToken)"
        let ownership = state(apex, now: now, missing: "No TXT record \(ownershipValue) at \(name).") { $0.contains(ownershipValue) }
        let spfRecords = apex.map { $0.filter { $0.lowercased().hasPrefix("v=spf1") } }
        let mechanism = spfMechanism.lowercased()
        let spf = state(spfRecords, now: now, missing: "No SPF record at \(name) that contains '\(spfMechanism)'.") { found in
            found.count == 1 && found[0].lowercased().split(separator: " ").contains { $0 == mechanism || $0 == "+\(mechanism)" }
        }
        var dkim: [String: EmailDomainVerification.State] = [:]
        for key in keys {
            let published = await txt("\(key.selector)._domainkey.\(name)")
            let expected = Self.publicKeyData(in: key.publicRecord)
            dkim[key.selector] = state(published, now: now, missing: "No DKIM key record at \(key.selector)._domainkey.\(name) matching this key.") {
                $0.contains { record in expected != nil && Self.publicKeyData(in: record) == expected }
            }
        }
        let dmarcRecords = await txt("_dmarc.\(name)")
        let dmarc = state(dmarcRecords.map { $0.filter { $0.lowercased().hasPrefix("v=dmarc1") } }, now: now, missing: "No DMARC record.") {
            !$0.isEmpty
        }
        let verification = EmailDomainVerification(domain: ownership, spf: spf, dkim: dkim, dmarc: dmarc)
        let verified = ownership.status == .verified && spf.status == .verified && dkim.values.contains { $0.status == .verified }
        return try await changes.run(in: resource) { tx in
            guard var current = try await EmailStore.domain(name, resource: resource, in: tx.db) else { throw EmailError.domainNotFound(text) }
            current.verification = verification
            current.verified = verified
            current.verifiedAt = verified ? tx.now : current.verifiedAt
            current.updatedAt = tx.now
            try await EmailStore.update(current, resource: resource, in: tx.db)
            return view(current, keys: keys, resource: resource)
        }
    }

    /// TXT values at `name` (`[]` when there are none), or the lookup's failure.
    func txt(_ name: String) async -> Result<[String], DNSResolverError> {
        do {
            return .success(try await dns.txt(name).records.map(\.text))
        } catch {
            return .failure(error)
        }
    }

    func state(
        _ lookup: Result<[String], DNSResolverError>, now: Timestamp, missing: String, _ matches: ([String]) -> Bool
    ) -> EmailDomainVerification.State {
        switch lookup {
        case .success(let found):
            let ok = matches(found)
            return .init(status: ok ? .verified : .failed, found: found, reason: ok ? nil : missing, checkedAt: now.date)
        case .failure(let error):
            return .init(status: .failed, found: [], reason: "The DNS lookup failed (\(error)); try again later.", checkedAt: now.date)
        }
    }

    /// The `p=` of a DKIM key record, without the whitespace DNS tools insert.
    static func publicKeyData(in record: String) -> String? {
        for tag in record.split(separator: ";") {
            let parts = tag.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "p" else { continue }
            let value = parts[1].filter { !$0.isWhitespace }
            return value.isEmpty ? nil : value
        }
        return nil
    }

    func view(_ domain: EmailStore.Domain, keys: [EmailStore.DKIMKey], resource: ResourceHandle) -> EmailDomainView {
        let name = domain.domain
        let sandbox = domain.kind == .sandbox
        let verification = domain.verification
        let states = EmailDomainView.States(
            domain: verification?.domain ?? EmailDomainVerification.notStarted, spf: verification?.spf ?? EmailDomainVerification.notStarted,
            dkim: Dictionary(uniqueKeysWithValues: keys.map { ($0.selector, verification?.dkim[$0.selector] ?? EmailDomainVerification.notStarted) }),
            dmarc: verification?.dmarc ?? EmailDomainVerification.notStarted)
        let records = EmailDomainView.Records(
            domain: sandbox ? nil : EmailDNSRecord(type: "TXT", name: name, value: "switchboard-verification=\(domain.ownershipToken)", ttl: 3600),
            spf: sandbox ? nil : EmailDNSRecord(type: "TXT", name: name, value: "v=spf1 \(spfMechanism) -all", ttl: 3600),
            dkim: keys.map { EmailDNSRecord(type: "TXT", name: "\($0.selector)._domainkey.\(name)", value: $0.publicRecord, ttl: 3600) },
            dmarc: sandbox ? nil : EmailDNSRecord(type: "TXT", name: "_dmarc.\(name)", value: "v=DMARC1; p=quarantine; adkim=r; aspf=r", ttl: 3600))
        let status: String =
            if sandbox || domain.verified { "Verified" } else if verification == nil { "NotStarted" } else { "Failed" }
        return EmailDomainView(
            domain: name, kind: domain.kind.rawValue, status: status, canSend: sandbox || domain.verified, sandboxOnly: sandbox,
            dkimSelector: signingKey(keys, verification: verification, sandbox: sandbox)?.selector ?? Self.firstSelector,
            verificationRecords: records, verificationStates: states, createdAt: domain.createdAt.date, lastVerifiedAt: domain.verifiedAt?.date)
    }

    /// The key messages are signed with: the newest whose record verified (any key, for the sandbox).
    func signingKey(_ keys: [EmailStore.DKIMKey], verification: EmailDomainVerification?, sandbox: Bool) -> EmailStore.DKIMKey? {
        if sandbox { return keys.last }
        return keys.last { verification?.dkim[$0.selector]?.status == .verified } ?? keys.last
    }

    // MARK: Senders

    static func username(_ text: String) throws -> String {
        let name = text.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(name.count), name.first != ".", name.last != ".", !name.contains(".."),
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "!#$%&'*+-/=?^_`{|}~.".contains($0)) })
        else { throw EmailError.invalid("A sender username is 1-64 characters of an email address's local part.", target: "username") }
        return name.lowercased()
    }

    public func putSender(_ username: String, domain text: String, displayName: String?, in resource: ResourceHandle) async throws -> (
        EmailSenderView, Bool
    ) {
        let name = try Self.username(username)
        let display = (displayName ?? username).trimmingCharacters(in: .whitespaces)
        guard display.count <= 256, !display.contains(where: \.isNewline), !Self.breaksLine(display) else {
            throw EmailError.invalid("displayName is at most 256 characters, without line breaks.", target: "displayName")
        }
        let domainName = text.lowercased()
        if domainName == sandboxDomain(of: resource) { try await ensureSandboxDomain(in: resource) }
        return try await changes.run(in: resource) { tx in
            guard try await EmailStore.domain(domainName, resource: resource, in: tx.db) != nil else { throw EmailError.domainNotFound(text) }
            let existing = try await EmailStore.sender(name, domain: domainName, resource: resource, in: tx.db)
            let sender = EmailStore.Sender(
                domain: domainName, username: name, displayName: display, createdAt: existing?.createdAt ?? tx.now, updatedAt: tx.now)
            try await EmailStore.upsert(sender, resource: resource, in: tx.db)
            return (Self.view(sender), existing == nil)
        }
    }

    public func sender(_ username: String, domain text: String, in resource: ResourceHandle) async throws -> EmailSenderView {
        let domainName = text.lowercased()
        if domainName == sandboxDomain(of: resource) { try await ensureSandboxDomain(in: resource) }
        return try await resource.store.read { db in
            guard let sender = try await EmailStore.sender(username, domain: domainName, resource: resource, in: db) else {
                throw APIError.notFound(code: "SenderNotFound", "There is no sender '\(username)' on \(text).", target: "username")
            }
            return Self.view(sender)
        }
    }

    public func senders(domain text: String, after: String?, limit: Int, in resource: ResourceHandle) async throws -> [EmailSenderView] {
        let domainName = text.lowercased()
        if domainName == sandboxDomain(of: resource) { try await ensureSandboxDomain(in: resource) }
        return try await resource.store.read { db in
            guard try await EmailStore.domain(domainName, resource: resource, in: db) != nil else { throw EmailError.domainNotFound(text) }
            return try await EmailStore.senders(domain: domainName, after: after, limit: limit, resource: resource, in: db).map(Self.view)
        }
    }

    public func deleteSender(_ username: String, domain text: String, in resource: ResourceHandle) async throws {
        try await changes.run(in: resource) { tx in
            guard try await EmailStore.sender(username, domain: text.lowercased(), resource: resource, in: tx.db) != nil else {
                throw APIError.notFound(code: "SenderNotFound", "There is no sender '\(username)' on \(text).", target: "username")
            }
            try await EmailStore.deleteSender(username, domain: text.lowercased(), resource: resource, in: tx.db)
        }
    }

    static func view(_ sender: EmailStore.Sender) -> EmailSenderView {
        EmailSenderView(
            username: sender.username, displayName: sender.displayName, address: "\(sender.username)@\(sender.domain)",
            createdAt: sender.createdAt.date)
    }
}
