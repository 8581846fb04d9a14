import Logging
import Synchronization

/// Copies the write-ahead log into the database file on a connection and a thread of its own, so that no commit of
/// the single writer waits for it.
///
/// The writer's connection counts the log's frames instead of checkpointing (``SQLiteHandle/checkpointElsewhere()``)
/// and reports them after each commit (``walGrew(to:)``). Once the log has grown by ``threshold`` frames since the
/// last pass (``SQLiteDatabase/defaultCheckpointThreshold``), a `PASSIVE` checkpoint runs here: it copies what no reader still needs
/// and fsyncs the file while the writer goes on committing, and SQLite starts the log over at the next write once
/// every frame is in the file. It never waits for readers or the writer; what it could not copy, the next pass does.
///
/// Under writes that never pause, a pass never finds the log fully copied (the writer has appended since it began),
/// so the log would never start over and would grow without bound. Once it reaches four times the threshold, the
/// writer checkpoints in its own turn after a commit, as SQLite does by default (``walGrew(to:)`` says when): the
/// background passes have copied most of it, and with no writer running that pass copies the rest.
///
/// The truncating checkpoint that clears deleted content out of the log (``SQLiteDatabase/checkpoint()``) is separate.
final class Checkpointer: Sendable {
    let threshold: Int
    private let connection: SQLiteHandle
    private let thread: BlockingThread
    private let logger: Logger

    private struct State {
        var running = false
        /// The log's frame count when the last pass began.
        var startedAt = 0
        var passes = 0
        var closed = false
    }

    private let state = Mutex(State())

    /// Takes `connection` (opened on `thread`, which is the checkpointer's alone).
    init(connection: SQLiteHandle, thread: BlockingThread, threshold: Int, logger: Logger) {
        self.connection = connection
        self.thread = thread
        self.threshold = threshold
        self.logger = logger
    }

    /// The pass, here and in the writer's own turn: copies what no reader still needs, waits for no one.
    static let passive = "PRAGMA wal_checkpoint(PASSIVE)"

    /// Passes finished so far.
    var passes: Int { state.withLock { $0.passes } }

    /// The log's size from which the writer checkpoints in its own turn.
    var writerLimit: Int { threshold > Int.max / 4 ? Int.max : threshold * 4 }

    /// The writer committed and the log holds `frames` frames: starts a pass if it has grown by ``threshold`` since the
    /// last one began (or since it started over) and none is running. Returns at once, with whether the writer
    /// should checkpoint in its own turn now (the log reached ``writerLimit``).
    func walGrew(to frames: Int) -> Bool {
        if frames >= writerLimit { return true }
        let start = state.withLock { state -> Bool in
            guard !state.closed, !state.running, frames >= threshold else { return false }
            // A log smaller than at the last pass has started over: it counts from zero.
            if frames >= state.startedAt, frames - state.startedAt < threshold { return false }
            state.running = true
            state.startedAt = frames
            return true
        }
        guard start else { return false }
        thread.submit(
            { [connection] in _ = try connection.query(Self.passive, [], lease: nil) },
            completion: { [self] result in
                if case .failure(let error) = result {
                    logger.warning("A background checkpoint failed; the next commit past the threshold tries again", metadata: ["error": "\(error)"])
                }
                state.withLock { state in
                    state.running = false
                    state.passes += 1
                }
            })
        return false
    }

    /// Waits for a pass in progress and closes the connection.
    func close() async {
        state.withLock { $0.closed = true }
        try? await thread.run { [connection] in connection.close() }
        await thread.shutdown()
    }
}
