import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Switchboard

/// `switchboard serve`: runs the server.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the server.",
        discussion: """
            On an empty data directory this creates a master key, a development CA and server certificate, and a \
            resource named 'dev' in United States, then prints its connection string. Stops gracefully on SIGTERM \
            or SIGINT.
            """)

    @OptionGroup var options: SwitchboardOptions

    func run() async throws {
        let configuration = try CommandSupport.configuration(options)
        let logger = CommandSupport.logger(level: configuration.logLevel)
        // Held until the process ends; taken before anything in the directory is touched.
        let lock = try ServeLock(directory: configuration.dataDirectory)
        let files = DataFiles(directory: configuration.dataDirectory)
        files.removeRunFiles()
        let runtime = try await CommandSupport.openRuntime(configuration, logger: logger)
        let application: any ApplicationProtocol
        do {
            try await runtime.bootstrap()
            application = try buildApplication(runtime: runtime) { port in
                await Banner(runtime: runtime, files: files, port: port).announce()
            }
        } catch {
            await runtime.shutdown()
            throw CommandSupport.fail(DatabaseErrorDescription.describe(error))
        }
        do {
            try await application.runService()
        } catch {
            throw CommandSupport.fail(DatabaseErrorDescription.describe(error))
        }
        files.removeRunFiles()
        withExtendedLifetime(lock) {}
    }
}

/// Files the server writes into the data directory for scripts.
struct DataFiles {
    let directory: URL

    /// The `dev` resource's connection string, written once the server listens.
    var connectionString: URL { directory.appendingPathComponent("connection-string") }
    /// The base URL of the running server, read by the `resource` commands for the endpoints they print.
    var serverURL: URL { directory.appendingPathComponent("server-url") }

    func removeRunFiles() {
        try? FileManager.default.removeItem(at: serverURL)
        try? FileManager.default.removeItem(at: connectionString)
    }

    func write(_ text: String, to url: URL, mode: Int = 0o600) {
        try? Data((text + "\n").utf8).write(to: url, options: .atomic)
        try? FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    }
}

/// What `serve` prints once it listens: where it is, the `dev` connection string, how to trust the CA.
struct Banner {
    let runtime: Runtime
    let files: DataFiles
    let port: Int

    func announce() async {
        let configuration = runtime.configuration
        let baseURL = configuration.baseURL(port: port)
        var lines = ["", "Switchboard is listening on \(baseURL)"]
        var devConnectionString: String?
        if let dev = try? await runtime.administration.details(of: "dev") {
            devConnectionString = ConnectionString.make(baseURL: baseURL, resourceName: "dev", accessKey: dev.primaryKey)
        }
        if let devConnectionString {
            lines += [
                "", "Resource 'dev' (United States). Connection string:", "  \(devConnectionString)",
            ]
            files.write(devConnectionString, to: files.connectionString)
        } else {
            lines += ["", "Create a resource with: switchboard resource create NAME --geography GEOGRAPHY"]
        }
        if configuration.tls == .development {
            let ca = DevelopmentCertificates(directory: configuration.dataDirectory).caCertificateFile.path
            lines += [
                "", "Trust the development CA (\(ca)):",
                "  export REQUESTS_CA_BUNDLE=\(ca) SSL_CERT_FILE=\(ca) NODE_EXTRA_CA_CERTS=\(ca)",
            ]
        }
        // A one-time sign-in link for whoever started the server: all resources, valid an hour.
        let console = ConsoleAccess(masterKey: runtime.masterKey, directory: runtime.directory, clock: runtime.clock)
        let code = console.issue(resources: nil, holder: "local developer", validFor: .seconds(3600), sessionLength: .seconds(12 * 3600))
        lines += [
            "", "Console (one-time sign-in link, valid an hour; more with `switchboard console token`):",
            "  \(ConsoleCommand.signInURL(baseURL: baseURL, code: code))",
        ]
        lines += ["", "Data directory: \(configuration.dataDirectory.path)", ""]
        files.write(baseURL, to: files.serverURL, mode: 0o644)
        // Written straight to the descriptor: `print` buffers when stdout is a pipe, and scripts wait for this.
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
