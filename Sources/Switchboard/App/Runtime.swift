import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Logging
import AsyncHTTPClient
import ServiceLifecycle

/// The long-lived state behind the API and the commands: the master key, the directory, the stores and the
/// resource registry. `serve` and the `resource` commands open it the same way, so they always agree on where
/// data lives.
public struct Runtime: Sendable {
    public var configuration: ServerConfiguration
    public let masterKey: MasterKey
    public let directory: Directory
    public let stores: StoreRegistry
    public let resources: ResourceRegistry
    public let administration: ResourceAdministration
    public let logger: Logger
    /// The one clock every service and worker reads.
    public let clock: any WallClock
    /// This node's stable id (a file in the data directory): the owner of its outbox leases.
    public let nodeID: String

    /// Opens (and on first use creates) the data directory, master key, directory and stores.
    public static func open(_ configuration: ServerConfiguration, logger: Logger, clock: any WallClock = SystemClock()) async throws
        -> Runtime
    {
        try configuration.validate()
        try FileManager.default.createDirectory(
            at: configuration.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let (masterKey, createdKey) = try loadMasterKey(configuration.masterKey)
        let database = try await DatabaseFactory.open(configuration.directory, logger: logger)
        let directory = Directory(database: database, clock: clock)
        do {
            try await directory.prepare(masterKey: masterKey)
        } catch {
            await database.shutdown()
            // A key generated just now for a directory made with another one would only get in the way.
            if createdKey, case .file(let path) = configuration.masterKey { try? FileManager.default.removeItem(atPath: path) }
            throw error
        }
        let stores = StoreRegistry(
            configured: configuration.stores, defaultDirectory: configuration.defaultStoreDirectory, directory: directory,
            keyring: ResourceKeyring(directory: directory, masterKey: masterKey), clock: clock, logger: logger)
        return Runtime(
            configuration: configuration, masterKey: masterKey, directory: directory, stores: stores,
            resources: ResourceRegistry(directory: directory, stores: stores, masterKey: masterKey),
            administration: ResourceAdministration(directory: directory, stores: stores, masterKey: masterKey, clock: clock),
            logger: logger, clock: clock, nodeID: loadNodeID(configuration.dataDirectory))
    }

    /// First-start set-up: on a directory that has never been set up, creates the `dev` resource in United States.
    /// Also finishes resource deletions an earlier process did not complete.
    public func bootstrap() async throws {
        try await administration.finishPendingDeletions()
        guard configuration.createsDevelopmentResource, try await !directory.isBootstrapped() else { return }
        do {
            // The development resource audits its messaging policy: the SDK quick-starts send, and every decision
            // production would make is recorded.
            try await administration.create(name: "dev", geography: .unitedStates, policyMode: .audit)
            logger.info("created the development resource", metadata: ["resource": "dev", "geography": "unitedstates"])
        } catch ResourceAdministrationError.nameTaken {
            // Another node sharing this directory created it first.
        }
        try await directory.markBootstrapped()
    }

    /// Closes every database.
    public func shutdown() async {
        await stores.shutdown()
        await directory.database.shutdown()
    }

    static func loadNodeID(_ directory: URL) -> String {
        let file = directory.appendingPathComponent("node-id")
        if let text = try? String(contentsOf: file, encoding: .utf8), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let id = UUID().uuidString.lowercased()
        try? Data((id + "\n").utf8).write(to: file, options: .atomic)
        return id
    }

    /// The master key, and whether it was created just now.
    static func loadMasterKey(_ source: ServerConfiguration.MasterKeySource) throws -> (MasterKey, created: Bool) {
        switch source {
        case .inline(let text):
            do { return (try MasterKey(base64: text), false) } catch {
                throw ConfigurationError("SWITCHBOARD_MASTER_KEY is not usable: \(error)")
            }
        case .file(let path):
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                do { return (try MasterKey(base64: text), false) } catch {
                    throw ConfigurationError("the master key file \(path) is not usable: \(error)")
                }
            }
            guard !FileManager.default.fileExists(atPath: path) else {
                throw ConfigurationError("the master key file \(path) cannot be read")
            }
            let key = MasterKey.generate()
            let url = URL(fileURLWithPath: path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            // Written whole to a temporary file, then linked into place: link fails if another process created the
            // key first (use that one), and nobody ever reads a half-written key.
            let temporary = path + ".\(UUID().uuidString).tmp"
            let descriptor = posixOpen(temporary, O_CREAT | O_EXCL | O_WRONLY, 0o600)
            guard descriptor >= 0 else { throw ConfigurationError("cannot create the master key file \(path)") }
            defer { unlink(temporary) }
            let bytes = Array((key.base64 + "\n").utf8)
            let written = bytes.withUnsafeBytes { posixWrite(descriptor, $0.baseAddress, $0.count) }
            fsync(descriptor)
            close(descriptor)
            guard written == bytes.count else { throw ConfigurationError("cannot write the master key file \(path)") }
            if link(temporary, path) != 0 {
                if errno == EEXIST { return (try loadMasterKey(source).0, false) }
                throw ConfigurationError("cannot create the master key file \(path)")
            }
            return (key, true)
        }
    }
}

/// Keeps the runtime's databases open while the server runs and closes them after a graceful shutdown.
struct RuntimeService: Service {
    let runtime: Runtime

    func run() async throws {
        try? await gracefulShutdown()
        await runtime.shutdown()
    }
}

/// Closes real-time sessions and stops following notifications at shutdown.
struct RealtimeService: Service {
    let hub: RealtimeHub

    func run() async throws {
        try? await gracefulShutdown()
        await hub.shutdown()
    }
}

/// Shuts the outgoing HTTP client down after the services that use it have stopped.
struct HTTPClientService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try? await client.shutdown()
    }
}

/// The C library's `open(2)`: inside ``Runtime``, `open` names the runtime's own opener.
private func posixOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
    open(path, flags, mode)
}

private func posixWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
