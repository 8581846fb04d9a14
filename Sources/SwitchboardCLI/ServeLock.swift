import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One `serve` per data directory: the directory holds the node's id (the owner of its outbox leases), its run
/// files and, by default, its SQLite databases, none of which two servers may share. Held with `flock` for the life
/// of the process, so a server that crashed leaves nothing to clean up.
struct ServeLock {
    private let descriptor: Int32

    /// Takes the lock of `directory`, or fails at once if another server holds it.
    init(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = directory.appendingPathComponent("serve.lock").path
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CommandSupport.fail("cannot open \(path)") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw CommandSupport.fail(
                "another switchboard serve is running with the data directory \(directory.path); give each server its own --data-dir")
        }
        self.descriptor = descriptor
    }
}
