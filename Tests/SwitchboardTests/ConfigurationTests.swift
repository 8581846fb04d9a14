import Foundation
import ArgumentParser
import Logging
import Switchboard
import SwitchboardCLI
import Testing

/// The one configuration scheme: flag over environment variable over configuration file over default, and a file
/// that says something Switchboard does not understand is refused rather than half-applied.
@Suite struct ConfigurationTests {
    func resolve(_ arguments: [String], environment: [String: String] = [:], file: String? = nil) throws -> ServerConfiguration {
        try withTemporaryDirectorySync { directory in
            if let file { try Data(file.utf8).write(to: directory.appendingPathComponent("switchboard.json")) }
            let options = try SwitchboardOptions.parse(["--data-dir", directory.path] + arguments)
            return try ConfigurationResolver(options: options, environment: environment).resolve()
        }
    }

    @Test func flagsWinOverTheEnvironmentWhichWinsOverTheFile() throws {
        let file = #"{"host":"10.0.0.1","port":1111,"logLevel":"debug","stores":{"europe":"sqlite:///tmp/eu-file.sqlite"}}"#
        let fromFile = try resolve([], file: file)
        #expect(fromFile.host == "10.0.0.1" && fromFile.port == 1111 && fromFile.logLevel == .debug)
        #expect(fromFile.stores[.europe] == .sqlite(path: "/tmp/eu-file.sqlite"))

        let environment = [
            "SWITCHBOARD_PORT": "2222", "SWITCHBOARD_STORE_UNITED_KINGDOM": "sqlite:///tmp/uk.sqlite",
            "SWITCHBOARD_STORE_EUROPE": "sqlite:///tmp/eu-env.sqlite",
        ]
        let fromEnvironment = try resolve([], environment: environment, file: file)
        #expect(fromEnvironment.port == 2222 && fromEnvironment.host == "10.0.0.1")
        #expect(fromEnvironment.stores[.unitedKingdom] == .sqlite(path: "/tmp/uk.sqlite"))
        #expect(fromEnvironment.stores[.europe] == .sqlite(path: "/tmp/eu-env.sqlite"))

        let fromFlags = try resolve(
            ["--port", "3333", "--store", "europe=sqlite:///tmp/eu-flag.sqlite", "--log-level", "error"], environment: environment, file: file)
        #expect(fromFlags.port == 3333 && fromFlags.logLevel == .error)
        #expect(fromFlags.stores[.europe] == .sqlite(path: "/tmp/eu-flag.sqlite"))
    }

    @Test(arguments: [
        #"{"stores":{"europe":null}}"#, #"{"stores":{"europe":{"url":"x"}}}"#, #"{"stores":"europe"}"#, #"{"port":"eighty"}"#,
        #"{"insecureHttp":"yes"}"#, #"{"host":42}"#, #"{"store":{"europe":"sqlite:///tmp/x.sqlite"}}"#,
    ])
    func aFileWithUnknownKeysOrWrongTypesIsRefused(file: String) throws {
        #expect(throws: ConfigurationError.self) { try resolve([], file: file) }
    }

    @Test func aStoreURLGivenWithoutItsGeographyIsRefusedWithoutEchoingItsPassword() throws {
        do {
            _ = try resolve(["--store", "postgres://sb:hunter2@db:5432/sb?sslmode=require"])
            Issue.record("accepted a store without a geography")
        } catch {
            #expect(!"\(error)".contains("hunter2"), "\(error)")
            #expect("\(error)".contains("GEOGRAPHY=URL"))
        }
    }
}

func withTemporaryDirectorySync<T>(_ body: (URL) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}
