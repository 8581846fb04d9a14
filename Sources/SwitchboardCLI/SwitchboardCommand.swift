import ArgumentParser
import Foundation
import Logging
import Switchboard

/// `switchboard`: the root command.
public struct SwitchboardCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "A self-hostable communications platform that speaks the Azure Communication Services protocol.",
        subcommands: [
            ServeCommand.self, ResourceCommand.self, EventsCommand.self, PolicyCommand.self, NumbersCommand.self, SandboxCommand.self,
            PrivacyCommand.self, ResidencyCommand.self, ConsoleCommand.self,
            MigrateCommand.self,
        ],
        defaultSubcommand: ServeCommand.self)

    public init() {}
}

/// Shared start-up of the commands: resolve configuration, set up logging, open the runtime.
enum CommandSupport {
    static func configuration(_ options: SwitchboardOptions) throws -> ServerConfiguration {
        do {
            return try ConfigurationResolver(options: options).resolve()
        } catch {
            throw fail(DatabaseErrorDescription.describe(error))
        }
    }

    static func logger(level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "switchboard")
        logger.logLevel = level
        return logger
    }

    static func openRuntime(_ configuration: ServerConfiguration, logger: Logger) async throws -> Runtime {
        do {
            return try await Runtime.open(configuration, logger: logger)
        } catch {
            throw fail(DatabaseErrorDescription.describe(error))
        }
    }

    /// Prints `message` as an error and returns the exit code to throw.
    static func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode.failure
    }
}

/// `switchboard migrate`: brings the directory and every configured store to the current schema, then exits.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Migrate the directory and the configured stores, then exit.")

    @OptionGroup var options: SwitchboardOptions

    func run() async throws {
        let configuration = try CommandSupport.configuration(options)
        let logger = CommandSupport.logger(level: configuration.logLevel)
        let runtime = try await CommandSupport.openRuntime(configuration, logger: logger)
        do {
            for geography in configuration.stores.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
                _ = try await runtime.stores.store(for: geography)
                print("store \(geography.compactName): \(runtime.stores.location(of: geography)) up to date")
            }
            print("directory: \(configuration.directory) up to date")
        } catch {
            await runtime.shutdown()
            throw CommandSupport.fail(DatabaseErrorDescription.describe(error))
        }
        await runtime.shutdown()
    }
}

extension SwitchboardCommand {
    /// Parses the process arguments and runs the command; the executable's whole `main`.
    public static func runFromCommandLine() async {
        await main()
    }
}
