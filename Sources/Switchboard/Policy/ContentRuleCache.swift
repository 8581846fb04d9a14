import Synchronization
import SQLKit

/// The compiled content rules of each resource — the defaults it has not disabled, then its own — rebuilt only when
/// its rules change (the version is read in the deciding transaction, so every node sees a change at once).
final class ContentRuleCache: Sendable {
    private let compiled = Mutex<[String: (version: String, rules: ContentRuleSet)]>([:])
    let defaults: [ContentRule]

    init(defaults: [ContentRule] = DefaultContentRules.all) {
        self.defaults = defaults
    }

    func ruleSet(for resource: ResourceHandle, in db: any SQLDatabase) async throws -> ContentRuleSet {
        let version = try await PolicyStore.contentRulesVersion(resource: resource, in: db)
        if let cached = compiled.withLock({ $0[resource.storageID] }), cached.version == version { return cached.rules }
        let rules = ContentRuleSet(try await effectiveRules(for: resource, in: db).map(\.rule))
        compiled.withLock { $0[resource.storageID] = (version, rules) }
        return rules
    }

    /// Every rule in force (or also disabled) for the resource, with where it comes from, in matching order.
    func effectiveRules(for resource: ResourceHandle, in db: any SQLDatabase, includingDisabled: Bool = false) async throws
        -> [(rule: ContentRule, origin: ContentRuleOrigin, enabled: Bool)]
    {
        let (custom, disabled) = try await PolicyStore.contentRules(resource: resource, in: db)
        let overridden = Set(custom.map(\.id))
        // The resource's own rules first: within a kind the first rule listed decides, and a resource's rule is the
        // more specific one.
        var result: [(ContentRule, ContentRuleOrigin, Bool)] = []
        for rule in custom {
            let enabled = !disabled.contains(rule.id)
            if enabled || includingDisabled { result.append((rule, .resource, enabled)) }
        }
        for rule in defaults where !overridden.contains(rule.id) {
            let enabled = !disabled.contains(rule.id)
            if enabled || includingDisabled { result.append((rule, .default, enabled)) }
        }
        return result
    }
}

/// Where a content rule in force comes from.
public enum ContentRuleOrigin: String, Sendable, Encodable {
    /// Switchboard's default rule set.
    case `default`
    /// Added (or a default replaced) by the resource.
    case resource
}
