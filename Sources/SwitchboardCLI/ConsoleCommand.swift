import ArgumentParser
import Foundation
import Switchboard

/// `switchboard console token`: a one-time sign-in link to the web console for an operator, limited to chosen
/// resources (or every resource), valid for a few minutes; the session it opens lasts a few hours.
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console", abstract: "Sign in to the web console.", subcommands: [Token.self])

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a one-time sign-in link to the console (for every resource unless --resource is given).")
        @Option(name: .customLong("resource"), help: "A resource the session may see (repeat for several; default: every resource).")
        var resources: [String] = []
        @Option(help: "Who the link is for, shown in the console.") var holder = "operator"
        @Option(help: "Minutes the link stays valid (1-1440).") var validMinutes = 15
        @Option(help: "Hours the session it opens lasts (1-168).") var sessionHours = 12
        @OptionGroup var options: SwitchboardOptions

        func validate() throws {
            guard (1...1440).contains(validMinutes) else { throw ValidationError("--valid-minutes must be between 1 and 1440.") }
            guard (1...168).contains(sessionHours) else { throw ValidationError("--session-hours must be between 1 and 168.") }
            guard (1...64).contains(holder.count) else { throw ValidationError("--holder must be 1-64 characters.") }
        }

        func run() async throws {
            try await ResourceCommand.withRuntime(options) { runtime in
                for name in resources where try await runtime.directory.record(named: name) == nil {
                    throw CommandSupport.fail("no resource named '\(name)'")
                }
                let access = ConsoleAccess(masterKey: runtime.masterKey, directory: runtime.directory, clock: runtime.clock)
                let code = access.issue(
                    resources: resources.isEmpty ? nil : resources, holder: holder, validFor: .seconds(validMinutes * 60),
                    sessionLength: .seconds(sessionHours * 3600))
                let url = ConsoleCommand.signInURL(baseURL: ResourceCommand.baseURL(runtime.configuration), code: code)
                print(url)
            }
        }
    }

    static func signInURL(baseURL: String, code: String) -> String {
        "\(baseURL)/-/console/signin?code=\(code)"
    }
}
