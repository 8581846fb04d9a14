import ArgumentParser
import Foundation
import Logging
import Switchboard

/// `switchboard resource …`: manage resources, whether the server runs or not.
struct ResourceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resource",
        abstract: "Create, list, show, update, re-key and delete resources.",
        subcommands: [Create.self, List.self, Show.self, Update.self, Keys.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a resource in a geography.")
        @Argument(help: "Resource name: lower-case letters, digits and hyphens.") var name: String
        @Option(help: "One of the sixteen geographies, e.g. 'Europe', 'United Kingdom' or 'unitedkingdom'.")
        var geography: String
        @Option(help: "enforce (refuse what the messaging policy refuses) or audit (send, and record what it would refuse).")
        var policyMode = "enforce"
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: SwitchboardOptions

        func run() async throws {
            let mode = try ResourceCommand.policyMode(policyMode)
            try await ResourceCommand.withAdministration(options) { administration, output in
                let geography: Geography
                do { geography = try Geography(parsing: self.geography) } catch {
                    throw CommandSupport.fail(DatabaseErrorDescription.describe(error))
                }
                let details = try await administration.create(name: name, geography: geography, policyMode: mode)
                output.emit(details, json: json, headline: "Created resource '\(name)' in \(geography.displayName).")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List resources.")
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: SwitchboardOptions

        func run() async throws {
            try await ResourceCommand.withAdministration(options) { administration, output in
                output.emit(try await administration.list(), json: json)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a resource with its keys and connection strings.")
        @Argument var name: String
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: SwitchboardOptions

        func run() async throws {
            try await ResourceCommand.withAdministration(options) { administration, output in
                output.emit(try await administration.details(of: name), json: json, headline: nil)
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a resource's messaging policy settings and log retention.")
        @Argument var name: String
        @Option(help: "enforce or audit.") var policyMode: String?
        @Option(help: "How long a recipient's message lets a sender reply without prior consent, in hours (1-168).")
        var conversationWindowHours: Int?
        @Option(help: "How long the resource's operational log is kept, in days (1-730; 30 by default).") var logRetentionDays: Int?
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: SwitchboardOptions

        func run() async throws {
            let mode = try policyMode.map(ResourceCommand.policyMode)
            guard mode != nil || conversationWindowHours != nil || logRetentionDays != nil else {
                throw CommandSupport.fail("nothing to change: give --policy-mode, --conversation-window-hours or --log-retention-days")
            }
            if let days = logRetentionDays {
                try await ResourceCommand.withRuntime(options) { runtime in
                    guard let handle = try await runtime.resources.handle(named: name) else {
                        throw CommandSupport.fail("there is no resource '\(name)'")
                    }
                    do {
                        try await OperationLogSettings().setRetentionDays(days, of: handle)
                    } catch let error as any APIErrorConvertible {
                        throw CommandSupport.fail(error.apiError.message)
                    }
                    struct Settings: Encodable {
                        let name: String
                        let logRetentionDays: Int
                    }
                    PolicyCommand.emit(Settings(name: name, logRetentionDays: days), json: json) {
                        "Resource '\(name)': operational log kept \(days) days."
                    }
                }
            }
            guard mode != nil || conversationWindowHours != nil else { return }
            try await PolicyCommand.withPolicy(options, resource: name) { policy, handle, _ in
                let settings = try await policy.updateSettings(
                    of: handle, mode: mode, conversationWindow: conversationWindowHours.map { .seconds(Int64($0) * 3600) })
                struct Settings: Encodable {
                    let name: String
                    let policyMode: String
                    let conversationWindowHours: Int64
                }
                let hours = settings.conversationWindow.components.seconds / 3600
                PolicyCommand.emit(Settings(name: name, policyMode: settings.mode.rawValue, conversationWindowHours: hours), json: json) {
                    "Resource '\(name)': messaging policy \(settings.mode.rawValue), conversation window \(hours) h."
                }
            }
        }
    }

    static func policyMode(_ text: String) throws -> PolicyMode {
        guard let mode = PolicyMode(rawValue: text.lowercased()) else { throw CommandSupport.fail("--policy-mode must be enforce or audit") }
        return mode
    }

    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage access keys.", subcommands: [Regenerate.self])

        struct Regenerate: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Replace one access key; the old key stops working at once.")
            @Argument var name: String
            @Option(help: "primary or secondary") var key: String
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var options: SwitchboardOptions

            func run() async throws {
                guard let slot = AccessKeySlot(rawValue: key.lowercased()) else {
                    throw CommandSupport.fail("--key must be primary or secondary")
                }
                try await ResourceCommand.withAdministration(options) { administration, output in
                    let details = try await administration.regenerateKey(of: name, slot: slot)
                    output.emit(details, json: json, headline: "Regenerated the \(slot.rawValue) key of '\(name)'.")
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a resource, its data in its store, and its keys.")
        @Argument var name: String
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: SwitchboardOptions

        func run() async throws {
            try await ResourceCommand.withAdministration(options) { administration, output in
                guard let record = try await administration.directory.record(named: name) else {
                    throw ResourceAdministrationError.notFound(name)
                }
                try await administration.delete(name: name)
                output.emitDeleted(record, json: json)
            }
        }
    }

    /// Opens the runtime, runs `body`, closes the runtime; failures print a one-line error.
    static func withAdministration(
        _ options: SwitchboardOptions,
        _ body: (ResourceAdministration, ResourceOutput) async throws -> Void
    ) async throws {
        try await withRuntime(options) { runtime in
            try await body(runtime.administration, ResourceOutput(baseURL: baseURL(runtime.configuration)))
        }
    }

    /// Opens the runtime for a command (logging at warning unless asked otherwise), runs `body`, closes it.
    static func withRuntime(_ options: SwitchboardOptions, _ body: (Runtime) async throws -> Void) async throws {
        var configuration = try CommandSupport.configuration(options)
        configuration.createsDevelopmentResource = false
        let level =
            options.logLevel == nil && ProcessInfo.processInfo.environment["SWITCHBOARD_LOG_LEVEL"] == nil
            ? Logger.Level.warning : configuration.logLevel
        let logger = CommandSupport.logger(level: level)
        let runtime = try await CommandSupport.openRuntime(configuration, logger: logger)
        do {
            try await body(runtime)
        } catch let exit as ExitCode {
            await runtime.shutdown()
            throw exit
        } catch {
            await runtime.shutdown()
            throw CommandSupport.fail(DatabaseErrorDescription.describe(error))
        }
        await runtime.shutdown()
    }

    /// The public URL if configured, else the URL a running (or the last) server wrote, else host and port.
    static func baseURL(_ configuration: ServerConfiguration) -> String {
        if configuration.publicURL != nil { return configuration.baseURL() }
        let file = DataFiles(directory: configuration.dataDirectory).serverURL
        if let text = try? String(contentsOf: file, encoding: .utf8) {
            let url = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !url.isEmpty { return url }
        }
        return configuration.baseURL()
    }
}

/// How the resource commands print, for people or (`--json`) for scripts.
struct ResourceOutput {
    let baseURL: String

    struct ResourceJSON: Encodable {
        let name: String
        let id: String
        let geography: String
        let geographyName: String
        let state: String
        let createdAt: String
        let endpoint: String
        var primaryKey: String?
        var secondaryKey: String?
        var connectionString: String?
        var secondaryConnectionString: String?
    }

    func json(_ record: ResourceRecord) -> ResourceJSON {
        ResourceJSON(
            name: record.name, id: record.id.uuidString.lowercased(), geography: record.geography.compactName,
            geographyName: record.geography.displayName, state: record.state.rawValue,
            createdAt: APIDate.format(record.createdAt.date),
            endpoint: ConnectionString.endpoint(baseURL: baseURL, resourceName: record.name))
    }

    func json(_ details: ResourceAdministration.Details) -> ResourceJSON {
        var value = json(details.record)
        value.primaryKey = details.primaryKey
        value.secondaryKey = details.secondaryKey
        value.connectionString = ConnectionString.make(
            baseURL: baseURL, resourceName: details.record.name, accessKey: details.primaryKey)
        value.secondaryConnectionString = ConnectionString.make(
            baseURL: baseURL, resourceName: details.record.name, accessKey: details.secondaryKey)
        return value
    }

    func emit(_ details: ResourceAdministration.Details, json asJSON: Bool, headline: String?) {
        let value = json(details)
        if asJSON { return printJSON(value) }
        if let headline { print(headline) }
        print(
            """
              name                        \(value.name)
              id                          \(value.id)
              geography                   \(value.geographyName) (\(value.geography))
              endpoint                    \(value.endpoint)
              primary key                 \(value.primaryKey ?? "")
              secondary key               \(value.secondaryKey ?? "")
              connection string           \(value.connectionString ?? "")
              secondary connection string \(value.secondaryConnectionString ?? "")
            """)
    }

    func emit(_ records: [ResourceRecord], json asJSON: Bool) {
        if asJSON { return printJSON(records.map(json)) }
        if records.isEmpty { return print("No resources.") }
        let width = max(4, records.map(\.name.count).max() ?? 0)
        print(
            "NAME".padding(toLength: width + 2, withPad: " ", startingAt: 0) + "GEOGRAPHY".padding(toLength: 22, withPad: " ", startingAt: 0) + "ID")
        for record in records {
            var line = record.name.padding(toLength: width + 2, withPad: " ", startingAt: 0)
            line += record.geography.displayName.padding(toLength: 22, withPad: " ", startingAt: 0)
            line += record.id.uuidString.lowercased()
            if record.state != .active { line += "  (\(record.state.rawValue))" }
            print(line)
        }
    }

    func emitDeleted(_ record: ResourceRecord, json asJSON: Bool) {
        struct Deleted: Encodable {
            let name: String
            let id: String
            let geography: String
            let deleted: Bool
        }
        if asJSON {
            return printJSON(
                Deleted(name: record.name, id: record.id.uuidString.lowercased(), geography: record.geography.compactName, deleted: true))
        }
        print("Deleted resource '\(record.name)', its data in the \(record.geography.displayName) store, and its keys.")
    }

    func printJSON(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) { print(text) }
    }
}
