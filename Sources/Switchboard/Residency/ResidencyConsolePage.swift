import Foundation
import SQLKit

/// The console's residency page: the resource's geography, the store that holds it, what it holds there by
/// capability and table (counted in that store, as `switchboard residency report` counts), and the retention table
/// in force.
struct ResidencyConsolePage: ConsolePage {
    let runtime: Runtime
    var capabilities: [any Capability.Type] = Capabilities.all
    var retention: [RetentionRule] = []

    var slug: String { "residency" }
    var title: String { "Residency" }
    var group: ConsoleGroup { .operations }
    var order: Int { 30 }

    func render(_ request: ConsoleRequest) async throws -> ConsoleReply {
        let resource = request.resource
        let geography = resource.geography
        let location = runtime.stores.location(of: geography)
        let id = resource.storageID
        let counts = try await resource.store.read { db in
            var counts: [(String, String, Int)] = []
            // The platform's own tables (the event log, the outbox), then each capability's.
            let groups = [("Platform", OutboxSchema.tables + EventLogSchema.tables)] + capabilities.map { (Self.category(of: $0), $0.resourceTables) }
            for (category, tables) in groups {
                for table in tables {
                    let count =
                        try await db.select().column(SQLFunction("count", args: SQLLiteral.all), as: "n").from(table)
                        .where("resource_id", .equal, id).first(decodingColumn: "n", as: Int.self) ?? 0
                    counts.append((category, table, count))
                }
            }
            return counts
        }
        let byCategory = Dictionary(grouping: counts, by: \.0).map { ($0.key, $0.value.reduce(0) { $0 + $1.2 }) }.sorted { $0.0 < $1.0 }
        let stats = HTML.join(byCategory.map { ConsoleHTML.stat($0.0, "\($0.1)", note: "rows") })
        let tableRows = counts.filter { $0.2 > 0 }.map { entry -> [HTML] in ["\(entry.0)", "<code>\(entry.1)</code>", "\(entry.2)"] }
        let rules = retention.map { rule -> [HTML] in ["\(rule.name)", "\(rule.data)", "\(rule.kept)"] }
        let body: HTML = """
            <dl class="stats">
            \(ConsoleHTML.stat("Geography", geography.displayName))
            \(ConsoleHTML.stat("Store", Self.engine(location), note: "\(location)"))
            </dl>
            <p>Everything this resource holds lives in the \(geography.displayName) store; the directory (names, sealed keys) holds no
            personal data. Personal values are sealed with the resource's data key and found by keyed hashes.</p>
            <h2>What it holds, by capability</h2>
            <dl class="stats">\(stats)</dl>
            \(tableRows.isEmpty ? HTML("<p>No rows yet.</p>") : ConsoleHTML.table(caption: "Rows per table", headers: ["Capability", "Table", "Rows"], rows: tableRows))
            <h2>Retention in force</h2>
            \(ConsoleHTML.table(caption: "Retention table", headers: ["Rule", "Data", "Kept"], rows: rules))
            <p>The same table is served at <code>GET {endpoint}/retention?api-version=2026-12-01</code>.</p>
            """
        return .page(title: "Residency", body: body)
    }

    /// `SMSCapability` → `SMS`.
    static func category(of capability: any Capability.Type) -> String {
        let name = String(describing: capability)
        return name.hasSuffix("Capability") ? String(name.dropLast("Capability".count)) : name
    }

    static func engine(_ location: DatabaseLocation) -> String {
        switch location {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }
}
