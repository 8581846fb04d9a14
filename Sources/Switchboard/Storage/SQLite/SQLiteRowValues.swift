import SQLKit
import SQLiteKit
import SQLiteNIO

/// A row as sql-kit sees it, decoded through sqlite-kit's `SQLiteDataDecoder` so that every type decodes exactly as
/// it does on an `SQLiteConnection` (sqlite-kit's own row type cannot be built outside SQLiteNIO).
struct SQLiteRowValues: SQLRow {
    /// Shared by all rows of one query (arrays copy on write, so sharing costs nothing).
    let columns: [String]
    let values: [SQLiteData]
    let decoder: SQLiteDataDecoder

    var allColumns: [String] { columns }

    func contains(column: String) -> Bool {
        columns.contains(column)
    }

    func decodeNil(column: String) throws -> Bool {
        // As sqlite-kit: a missing column reads as NULL.
        guard let index = columns.firstIndex(of: column) else { return true }
        return values[index] == .null
    }

    func decode<D: Decodable>(column: String, as: D.Type) throws -> D {
        // The first column of a name wins when a query returns two, as in SQLiteNIO.
        guard let index = columns.firstIndex(of: column) else { throw MissingColumn(column: column) }
        return try decoder.decode(D.self, from: values[index])
    }

    /// A column the row does not have was asked for.
    struct MissingColumn: Error {
        let column: String
    }
}
