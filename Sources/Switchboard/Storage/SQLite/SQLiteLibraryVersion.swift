import SQLKit
import VaporCSQLite

/// The version of the SQLite library linked in, as sqlite-kit reports it through `SQLDatabase.version` (its type for
/// it is internal).
struct SQLiteLibraryVersion: SQLDatabaseReportedVersion {
    /// Laid out as `SQLITE_VERSION_NUMBER`: major × 1,000,000 + minor × 1,000 + patch.
    let number: Int
    let stringValue: String

    static let runtime = SQLiteLibraryVersion(
        number: Int(sqlite_nio_sqlite3_libversion_number()), stringValue: String(cString: sqlite_nio_sqlite3_libversion()))

    func isEqual(to otherVersion: any SQLDatabaseReportedVersion) -> Bool {
        (otherVersion as? Self).map { $0.number == number } ?? false
    }

    func isOlder(than otherVersion: any SQLDatabaseReportedVersion) -> Bool {
        (otherVersion as? Self).map { number < $0.number } ?? false
    }
}
