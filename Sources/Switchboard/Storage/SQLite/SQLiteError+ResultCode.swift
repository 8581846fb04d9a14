import SQLiteNIO
import VaporCSQLite

/// Builds the errors the engine throws as SQLiteNIO's `SQLiteError`, so that code written against sqlite-kit (matching
/// `error.reason == .constraintUniqueFailed`, say) works unchanged on either engine.
///
/// SQLiteNIO keeps `SQLiteError`'s initializers internal. The struct is two stored properties, `reason` and `message`,
/// and SQLiteNIO is not built for library evolution, so a struct with the same two properties in the same order has
/// the same layout and can be reinterpreted as one. That assumption is checked once, by building a probe and reading
/// it back; should a future SQLiteNIO change the struct, errors fall back to ``SQLiteEngineError``, which carries the
/// same reason and message, instead of the process reading garbage.
enum SQLiteErrors {
    /// An error for a result code returned by SQLite, with the connection's message.
    static func make(code: Int32, message: String) -> any Error {
        make(reason: reason(for: code), message: message)
    }

    static func make(reason: SQLiteError.Reason, message: String) -> any Error {
        layoutMatches ? reinterpret(SQLiteErrorLayout(reason: reason, message: message)) : SQLiteEngineError(reason: reason, message: message)
    }

    /// The `SQLiteError.Reason` SQLiteNIO gives `code`: its table, since its initializer is internal too. Codes are
    /// extended result codes, as on SQLiteNIO's connections (opened with `SQLITE_OPEN_EXRESCODE`), so a duplicate
    /// key is `.constraintUniqueFailed` rather than `.constraint` on both engines.
    static func reason(for code: Int32) -> SQLiteError.Reason {
        reasons[code] ?? .error
    }

    private static let layoutMatches: Bool = {
        guard MemoryLayout<SQLiteErrorLayout>.size == MemoryLayout<SQLiteError>.size,
            MemoryLayout<SQLiteErrorLayout>.alignment == MemoryLayout<SQLiteError>.alignment
        else { return false }
        let probe = reinterpret(SQLiteErrorLayout(reason: .constraintUniqueFailed, message: "layout probe"))
        return probe.reason == .constraintUniqueFailed && probe.message == "layout probe"
    }()

    private static func reinterpret(_ layout: SQLiteErrorLayout) -> SQLiteError {
        unsafeBitCast(layout, to: SQLiteError.self)
    }

    private static let reasons: [Int32: SQLiteError.Reason] = {
        func extended(_ base: Int32, _ n: Int32) -> Int32 { base | (n << 8) }
        return [
            SQLITE_ERROR: .error, SQLITE_INTERNAL: .intern, SQLITE_PERM: .permission, SQLITE_ABORT: .abort,
            SQLITE_BUSY: .busy, SQLITE_LOCKED: .locked, SQLITE_NOMEM: .noMemory, SQLITE_READONLY: .readOnly,
            SQLITE_INTERRUPT: .interrupt, SQLITE_IOERR: .ioError, SQLITE_CORRUPT: .corrupt, SQLITE_NOTFOUND: .notFound,
            SQLITE_FULL: .full, SQLITE_CANTOPEN: .cantOpen, SQLITE_PROTOCOL: .proto, SQLITE_EMPTY: .empty,
            SQLITE_SCHEMA: .schema, SQLITE_TOOBIG: .tooBig, SQLITE_CONSTRAINT: .constraint, SQLITE_MISMATCH: .mismatch,
            SQLITE_MISUSE: .misuse, SQLITE_NOLFS: .noLFS, SQLITE_AUTH: .auth, SQLITE_FORMAT: .format,
            SQLITE_RANGE: .range, SQLITE_NOTADB: .notADatabase, SQLITE_NOTICE: .notice, SQLITE_WARNING: .warning,
            SQLITE_ROW: .row, SQLITE_DONE: .done,
            extended(SQLITE_ERROR, 1): .errorMissingCollatingSequence, extended(SQLITE_ERROR, 2): .errorRetry,
            extended(SQLITE_ERROR, 3): .errorMissingSnapshot,
            extended(SQLITE_ABORT, 2): .abortByRollback,
            extended(SQLITE_BUSY, 1): .busyInRecovery, extended(SQLITE_BUSY, 2): .busyInSnapshot,
            extended(SQLITE_BUSY, 3): .busyTimeout,
            extended(SQLITE_LOCKED, 1): .lockedBySharedCache, extended(SQLITE_LOCKED, 2): .lockedVirtualTable,
            extended(SQLITE_READONLY, 1): .readonlyInRecovery, extended(SQLITE_READONLY, 2): .readonlyCantLock,
            extended(SQLITE_READONLY, 3): .readonlyInRollback, extended(SQLITE_READONLY, 4): .readonlyBackingMoved,
            extended(SQLITE_READONLY, 6): .readonlyDirectory,
            extended(SQLITE_IOERR, 1): .ioErrorFailedRead, extended(SQLITE_IOERR, 2): .ioErrorIncompleteRead,
            extended(SQLITE_IOERR, 3): .ioErrorFailedWrite, extended(SQLITE_IOERR, 4): .ioErrorFailedSync,
            extended(SQLITE_IOERR, 5): .ioErrorFailedDirSync, extended(SQLITE_IOERR, 6): .ioErrorFailedTruncate,
            extended(SQLITE_IOERR, 7): .ioErrorFailedStat, extended(SQLITE_IOERR, 8): .ioErrorFailedUnlock,
            extended(SQLITE_IOERR, 9): .ioErrorFailedReadLock, extended(SQLITE_IOERR, 10): .ioErrorFailedDelete,
            extended(SQLITE_IOERR, 12): .ioErrorNoMemory, extended(SQLITE_IOERR, 13): .ioErrorFailedAccess,
            extended(SQLITE_IOERR, 14): .ioErrorFailedAdvisoryLock, extended(SQLITE_IOERR, 15): .ioErrorFailedLockCheck,
            extended(SQLITE_IOERR, 16): .ioErrorFailedClose, extended(SQLITE_IOERR, 18): .ioErrorFailedSharedMemOpen,
            extended(SQLITE_IOERR, 19): .ioErrorFailedSharedMemSize, extended(SQLITE_IOERR, 21): .ioErrorFailedSharedMemMap,
            extended(SQLITE_IOERR, 23): .ioErrorFailedDeleteNonexistent, extended(SQLITE_IOERR, 24): .ioErrorFailedMemoryMap,
            extended(SQLITE_IOERR, 25): .ioErrorCantFindTempdir, extended(SQLITE_IOERR, 26): .ioErrorCygwinPath,
            extended(SQLITE_IOERR, 32): .ioErrorBadDataChecksum, extended(SQLITE_IOERR, 33): .ioErrorCorruptedFilesystem,
            extended(SQLITE_CORRUPT, 1): .corruptVirtualTable, extended(SQLITE_CORRUPT, 2): .corruptSequenceSchema,
            extended(SQLITE_CORRUPT, 3): .corruptIndex,
            extended(SQLITE_CANTOPEN, 2): .cantOpenDirectory, extended(SQLITE_CANTOPEN, 3): .cantOpenInvalidPath,
            extended(SQLITE_CANTOPEN, 4): .cantOpenCygwinPath, extended(SQLITE_CANTOPEN, 6): .cantOpenUnfollowedSymlink,
            extended(SQLITE_CONSTRAINT, 1): .constraintCheckFailed, extended(SQLITE_CONSTRAINT, 2): .constraintCommitHookFailed,
            extended(SQLITE_CONSTRAINT, 3): .constraintForeignKeyFailed, extended(SQLITE_CONSTRAINT, 4): .constraintUserFunctionFailed,
            extended(SQLITE_CONSTRAINT, 5): .constraintNotNullFailed, extended(SQLITE_CONSTRAINT, 6): .constraintPrimaryKeyFailed,
            extended(SQLITE_CONSTRAINT, 7): .constraintTriggerFailed, extended(SQLITE_CONSTRAINT, 8): .constraintUniqueFailed,
            extended(SQLITE_CONSTRAINT, 9): .constraintVirtualTableFailed, extended(SQLITE_CONSTRAINT, 10): .constraintUniqueRowIDFailed,
            extended(SQLITE_CONSTRAINT, 11): .constraintUpdateTriggerDeletedRow,
            extended(SQLITE_CONSTRAINT, 12): .constraintStrictDataTypeFailed,
            extended(SQLITE_AUTH, 1): .authUnauthorizedUser,
            extended(SQLITE_NOTICE, 1): .noticeRecoverWAL, extended(SQLITE_NOTICE, 2): .noticeRecoverRollback,
            extended(SQLITE_WARNING, 1): .warningAutoindex,
        ]
    }()
}

/// `SQLiteError`'s stored properties, in its order.
private struct SQLiteErrorLayout {
    let reason: SQLiteError.Reason
    let message: String
}

/// What the engine throws instead of `SQLiteError` if a SQLiteNIO release ever changes that struct's layout.
public struct SQLiteEngineError: Error, CustomStringConvertible {
    public let reason: SQLiteError.Reason
    public let message: String

    public var description: String { "\(reason): \(message)" }
}
