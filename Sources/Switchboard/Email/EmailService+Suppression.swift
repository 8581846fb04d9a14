import Foundation

/// Suppression lists as ACS offers them: per sending domain, consulted at every send, kept until removed.
extension EmailService {
    func listedDomain(_ text: String, in resource: ResourceHandle) async throws -> String {
        let name = text.lowercased()
        if name == sandboxDomain(of: resource) { try await ensureSandboxDomain(in: resource) }
        guard try await resource.store.read({ db in try await EmailStore.domain(name, resource: resource, in: db) }) != nil else {
            throw EmailError.domainNotFound(text)
        }
        return name
    }

    static func listedAddress(_ text: String) throws -> String {
        guard let address = MessagingAddress.emailAddress(text) else {
            throw EmailError.invalidAddress("'\(text)' is not an email address.", target: "address")
        }
        return address
    }

    public func suppress(_ text: String, domain: String, reason: String?, in resource: ResourceHandle) async throws -> (EmailSuppressionView, Bool) {
        let address = try Self.listedAddress(text)
        let reason = (reason ?? "Added through the API").trimmingCharacters(in: .whitespaces)
        guard (1...256).contains(reason.count), !reason.contains(where: \.isNewline) else {
            throw EmailError.invalid("reason is 1-256 characters without line breaks.", target: "reason")
        }
        let name = try await listedDomain(domain, in: resource)
        return try await changes.run(in: resource) { tx in
            let existing = try await EmailStore.suppression(address, domain: name, resource: resource, in: tx.db)
            let entry = EmailStore.Suppression(domain: name, address: address, reason: reason, createdAt: existing?.createdAt ?? tx.now)
            try await EmailStore.upsertSuppression(entry, resource: resource, in: tx.db)
            return (Self.view(entry), existing == nil)
        }
    }

    public func suppression(_ text: String, domain: String, in resource: ResourceHandle) async throws -> EmailSuppressionView {
        let address = try Self.listedAddress(text)
        let name = try await listedDomain(domain, in: resource)
        guard let entry = try await resource.store.read({ db in try await EmailStore.suppression(address, domain: name, resource: resource, in: db) })
        else { throw EmailError.suppressionNotFound(address) }
        return Self.view(entry)
    }

    public func unsuppress(_ text: String, domain: String, in resource: ResourceHandle) async throws {
        let address = try Self.listedAddress(text)
        let name = try await listedDomain(domain, in: resource)
        let removed = try await changes.run(in: resource) { tx in
            try await EmailStore.deleteSuppression(address, domain: name, resource: resource, in: tx.db)
        }
        guard removed else { throw EmailError.suppressionNotFound(address) }
    }

    public func suppressions(domain: String, after: Int64?, limit: Int, in resource: ResourceHandle) async throws -> [(EmailSuppressionView, Int64)] {
        let name = try await listedDomain(domain, in: resource)
        return try await resource.store.read { db in
            try await EmailStore.suppressions(domain: name, after: after, limit: limit, resource: resource, in: db).map { (Self.view($0.0), $0.1) }
        }
    }

    static func view(_ entry: EmailStore.Suppression) -> EmailSuppressionView {
        EmailSuppressionView(address: entry.address, reason: entry.reason, createdAt: entry.createdAt.date)
    }
}
