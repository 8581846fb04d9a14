import SQLKit

// Statements on hot paths are written out (`db.raw` with binds, the same text on both engines) rather than built
// with sql-kit's builders. Building costs 25–50 µs a statement, more than SQLite takes to run it: on Linux each
// identifier is quoted through the standard library's generic `replacing`, every value becomes an expression
// node, and the tree is serialized and then freed. Written out, a statement with the same binds costs 5–9 µs. On
// SQLite the statements of a change run inside the single writer's turn, so what they cost there is paid by every
// transaction queued behind it. Elsewhere the builders stay: they are clearer, and these costs are invisible.

extension SQLDatabase {
    /// `INSERT INTO table (columns) VALUES (…), (…), …` for `rows` (each a value per column, in order), written out
    /// (see above), in as few statements as the engines' limits on binds allow (under SQLite's 32,766).
    func insertRows(into table: String, columns: [String], _ rows: [[any Encodable & Sendable]]) async throws {
        guard !rows.isEmpty else { return }
        precondition(rows.allSatisfy { $0.count == columns.count }, "every row has a value for each column")
        let head = "INSERT INTO \"\(table)\" (" + columns.map { "\"\($0)\"" }.joined(separator: ", ") + ") VALUES "
        let perStatement = max(1, 30_000 / columns.count)
        for start in stride(from: 0, to: rows.count, by: perStatement) {
            var sql = SQLQueryString("")
            sql.appendLiteral(head)
            for (offset, row) in rows[start..<min(start + perStatement, rows.count)].enumerated() {
                sql.appendLiteral(offset == 0 ? "(" : ", (")
                for (index, value) in row.enumerated() {
                    if index > 0 { sql.appendLiteral(", ") }
                    sql.appendInterpolation(bind: value)
                }
                sql.appendLiteral(")")
            }
            try await raw(sql).run()
        }
    }
}
