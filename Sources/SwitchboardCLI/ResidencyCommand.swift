import ArgumentParser
import Foundation
import Switchboard

/// `switchboard residency report`: each geography's store, the resources it holds with their row counts, and a check
/// that no store holds rows of a resource of another geography (exit status 1 if one does).
struct ResidencyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "residency", abstract: "Check where every resource's data is.", subcommands: [Report.self])

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List each geography's store with its resources and row counts; fail if a store holds another geography's rows.")
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var options: SwitchboardOptions

        func run() async throws {
            var holds = true
            try await ResourceCommand.withRuntime(options) { runtime in
                let report = try await ResidencyReport.make(runtime: runtime)
                holds = report.holds
                PolicyCommand.emit(report, json: json) { Self.text(report) }
            }
            if !holds { throw ExitCode.failure }
        }

        static func text(_ report: ResidencyReport) -> String {
            var lines: [String] = []
            for store in report.stores {
                lines.append("\(store.geography) — \(store.location)")
                if store.resources.isEmpty { lines.append("  (no resources)") }
                for resource in store.resources {
                    lines.append("  \(resource.name ?? resource.id): \(resource.rows) rows")
                }
                for resource in store.misplaced {
                    lines.append(
                        "  MISPLACED: \(resource.rows) rows of '\(resource.name ?? resource.id)', whose geography is \(resource.geography ?? "unknown")"
                    )
                }
                for resource in store.orphaned {
                    lines.append("  \(resource.rows) rows of deleted resource \(resource.id) (removed by the next maintenance pass)")
                }
            }
            lines.append(report.holds ? "Every row is in its resource's geography." : "Rows are outside their resource's geography.")
            return lines.joined(separator: "\n")
        }
    }
}
