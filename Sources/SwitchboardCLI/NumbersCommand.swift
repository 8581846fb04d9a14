import ArgumentParser
import Foundation
import Switchboard

/// `switchboard numbers inventory …`: the operator's phone numbers, held at a carrier, that searches hand out
/// instead of the sandbox's once a country and type has any.
struct NumbersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "numbers", abstract: "Manage the phone number inventory.", subcommands: [Inventory.self])

    struct Inventory: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Numbers the operator holds at a carrier.", subcommands: [Add.self, List.self, Remove.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Add numbers held at a carrier; searches of their country and type then offer only the operator's numbers.")
            @Option(help: "ISO 3166 country code, e.g. US.") var country: String
            @Option(help: "geographic, tollFree or mobile.") var type: String
            @Option(help: "The carrier that holds them (the name of an SMS carrier, e.g. one of --sms-carrier).") var carrier: String
            @Argument(help: "E.164 numbers, e.g. +18005550100.") var numbers: [String]
            @OptionGroup var options: SwitchboardOptions

            func run() async throws {
                guard let type = PhoneNumberType(rawValue: type) else { throw CommandSupport.fail("--type must be geographic, tollFree or mobile") }
                guard let country = SandboxCatalog.country(country) else { throw CommandSupport.fail("unknown country '\(country)'") }
                let parsed = try numbers.map { text in
                    guard let number = MessagingAddress.phoneNumber(text) else { throw CommandSupport.fail("'\(text)' is not an E.164 number") }
                    guard number.dropFirst().hasPrefix(country.callingCode) else {
                        throw CommandSupport.fail("\(number) is not a number of \(country.code) (+\(country.callingCode))")
                    }
                    return number
                }
                guard !parsed.isEmpty else { throw CommandSupport.fail("name at least one number") }
                try await NumbersCommand.withInventory(options) { inventory in
                    try await inventory.add(parsed, country: country.code, type: type, carrier: carrier)
                    print("Added \(parsed.count) \(type.rawValue) number\(parsed.count == 1 ? "" : "s") of \(country.code) held at \(carrier).")
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the operator's numbers and the sandbox numbers resources hold.")
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var options: SwitchboardOptions

            struct Listed: Encodable {
                let phoneNumber: String
                let country: String
                let type: PhoneNumberType
                let source: NumberInventory.Source
                let carrier: String?
                let resource: String?
            }

            func run() async throws {
                try await ResourceCommand.withRuntime(options) { runtime in
                    let names = Dictionary(
                        try await runtime.directory.records().map { ($0.id.uuidString.lowercased(), $0.name) },
                        uniquingKeysWith: { first, _ in first })
                    let entries = try await NumberInventory(directory: runtime.directory).entries().map { entry in
                        Listed(
                            phoneNumber: entry.phoneNumber, country: entry.country, type: entry.type, source: entry.source, carrier: entry.carrier,
                            resource: entry.resourceID.flatMap { names[$0] })
                    }
                    PolicyCommand.emit(entries, json: json) {
                        entries.isEmpty
                            ? "The inventory is empty: searches offer sandbox numbers."
                            : entries.map {
                                "\($0.phoneNumber)  \($0.country)  \($0.type.rawValue)  \($0.carrier ?? "sandbox")  \($0.resource ?? "free")"
                            }.joined(separator: "\n")
                    }
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove numbers no resource holds from the inventory.")
            @Argument(help: "E.164 numbers.") var numbers: [String]
            @OptionGroup var options: SwitchboardOptions

            func run() async throws {
                let parsed = numbers.map { MessagingAddress.phoneNumber($0) ?? $0 }
                try await NumbersCommand.withInventory(options) { inventory in
                    try await inventory.remove(parsed)
                    print("Removed \(parsed.count) number\(parsed.count == 1 ? "" : "s") from the inventory.")
                }
            }
        }
    }

    static func withInventory(_ options: SwitchboardOptions, _ body: (NumberInventory) async throws -> Void) async throws {
        try await ResourceCommand.withRuntime(options) { runtime in
            do {
                try await body(NumberInventory(directory: runtime.directory))
            } catch let error as any APIErrorConvertible {
                throw CommandSupport.fail(error.apiError.message)
            }
        }
    }
}
